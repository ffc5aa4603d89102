"""The service catalog: loaded from the YAML data files into the database, and read back
at start-up into memory, where guide search and booking rules use it."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

import sqlalchemy as sa
import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from portal import tables
from portal.schemas import Guide, Hall

CATALOG_DIR = Path(__file__).parent / "catalog"
logger = logging.getLogger(__name__)


@dataclass
class Catalog:
    guides: Dict[str, Guide] = field(default_factory=dict)
    halls: Dict[str, Hall] = field(default_factory=dict)

    @classmethod
    def from_files(cls, directory: Path = CATALOG_DIR) -> "Catalog":
        """Reads and validates the data files; a broken file stops the load with its name."""
        halls = [Hall(**raw) for raw in _read_yaml(directory / "halls.yaml")]
        guides: List[Guide] = []
        for path in sorted((directory / "items").glob("*.yaml")):
            guides.extend(Guide(**raw) for raw in _read_yaml(path))
        catalog = cls({g.code: g for g in guides}, {h.code: h for h in halls})
        catalog._check_references(len(guides))
        return catalog

    def _check_references(self, guide_count: int) -> None:
        if len(self.guides) != guide_count:
            raise ValueError("duplicate item codes in the catalog")
        for guide in self.guides.values():
            unknown = [h.hall for h in guide.halls if h.hall not in self.halls]
            if unknown:
                raise ValueError(f"{guide.code} names unknown halls {unknown}")


def bring_list(guide: Guide) -> List[Dict[str, Any]]:
    """What the citizen must bring to the hall for ``guide``: nothing printed, photographed or
    collected at the window, nothing shared electronically; materials only some applicants need
    keep their ``applies_to`` so the reply can say 未满十六周岁的申请人另需…; unconditional first."""
    brought = [m for m in guide.materials if m.must_bring()]
    return [{"name": m.name, "form": m.form, "copies": m.copies,
             **({"applies_to": m.applies_to} if m.applies_to else {})}
            for m in sorted(brought, key=lambda m: m.applies_to is not None)]


def _read_yaml(path: Path) -> list:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, list):
        raise ValueError(f"{path} must hold a YAML list")
    return data


async def store_catalog(engine: AsyncEngine, catalog: Catalog) -> None:
    """Replaces the stored catalog with ``catalog`` in one transaction."""
    async with engine.begin() as conn:
        for table in (tables.item_halls, tables.items, tables.halls):
            await conn.execute(table.delete())
        await conn.execute(tables.halls.insert(), [
            {**hall.dict(exclude={"hours"}), "hours": json.dumps(hall.hours)}
            for hall in catalog.halls.values()
        ])
        await conn.execute(tables.items.insert(), [
            {"code": g.code, "name": g.name, "department": g.department, "guide": g.json()}
            for g in catalog.guides.values()
        ])
        await conn.execute(tables.item_halls.insert(), [
            {"item_code": g.code, "hall_code": h.hall, "window": h.window,
             "capacity_per_slot": h.capacity_per_slot}
            for g in catalog.guides.values() for h in g.halls
        ])


async def read_catalog(engine: AsyncEngine) -> Catalog:
    """The stored catalog; one stored by an older release (e.g. before ``legal_unit``) is
    replaced by the data files, which are the catalog's source, instead of stopping the portal."""
    try:
        return await _read_stored(engine)
    except ValidationError as error:
        logger.warning("stored catalog is of an older format (%d errors): reloading the data files",
                       len(error.errors()))
        await store_catalog(engine, Catalog.from_files())
        return await _read_stored(engine)


async def _read_stored(engine: AsyncEngine) -> Catalog:
    async with engine.connect() as conn:
        item_rows = (await conn.execute(sa.select(tables.items.c.guide))).all()
        hall_rows = (await conn.execute(sa.select(tables.halls))).mappings().all()
    guides = [Guide.parse_raw(row.guide) for row in item_rows]
    halls = [Hall(**{**row, "hours": json.loads(row["hours"])}) for row in hall_rows]
    return Catalog({g.code: g for g in guides}, {h.code: h for h in halls})


async def catalog_is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(tables.items))
    return not count
