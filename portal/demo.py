"""Seeds the demo applications on the portal's first start."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import sqlalchemy as sa
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from portal import tables
from portal.catalog import CATALOG_DIR

DEMO_APPLICATIONS = CATALOG_DIR / "demo_applications.yaml"


def demo_applications(path: Path = DEMO_APPLICATIONS) -> List[Dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


async def seed_applications(engine: AsyncEngine) -> None:
    """Inserts the demo applications that are not there yet; never touches existing ones."""
    async with engine.begin() as conn:
        existing = set((await conn.execute(sa.select(tables.applications.c.application_id))).scalars())
        for app in demo_applications():
            if app["application_id"] in existing:
                continue
            steps = app["timeline"]
            await conn.execute(tables.applications.insert().values(
                application_id=app["application_id"], item_code=app["item_code"],
                applicant_name=app["applicant_name"], phone=app["phone"], openid=None,
                status=steps[-1]["status"], submitted_at=steps[0]["at"]))
            await conn.execute(tables.application_events.insert(), [
                {"application_id": app["application_id"], "status": s["status"], "at": s["at"],
                 "department": s["department"], "note": s["note"],
                 "correction": json.dumps(s["correction"], ensure_ascii=False) if "correction" in s else None}
                for s in steps
            ])
