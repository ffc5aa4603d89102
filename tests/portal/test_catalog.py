"""Catalog facts as they are: what the citizen brings vs what the window provides, materials
for some applicants only, legal time limits in the law's unit; the schema refuses data that
contradicts itself."""
from __future__ import annotations

import copy
import json

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from portal import tables
from portal.catalog import Catalog, bring_list, read_catalog, store_catalog
from portal.db import create_engine, migrate
from portal.schemas import Guide, Material, TimeLimit
from tests.portal.test_appointments import book, booking


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_files()


def by_name(catalog: Catalog, name: str) -> Guide:
    return next(g for g in catalog.guides.values() if g.name == name)


def test_window_made_materials_are_never_to_bring(catalog):
    for guide in catalog.guides.values():
        brought = {m["name"] for m in bring_list(guide)}
        for material in guide.materials:
            if material.provided_at_window or material.form in ("现场采集", "电子版"):
                assert material.name not in brought, (guide.name, material.name)


@pytest.mark.parametrize("name, window_made", [
    ("居民身份证补领", {"《居民身份证申领登记表》", "本人相片", "指纹信息"}),
    ("普通护照补发", {"《中国公民出入境证件申请表》", "出入境证件照片", "指纹信息"}),
])
def test_printed_photographed_and_collected_at_the_window(catalog, name, window_made):
    guide = by_name(catalog, name)
    assert {m.name for m in guide.materials if m.provided_at_window} >= window_made
    assert not window_made & {m["name"] for m in bring_list(guide)}


def test_guardian_id_is_for_minors_only(catalog):
    bring = {m["name"]: m for m in bring_list(by_name(catalog, "居民身份证补领"))}
    assert "未满十六周岁" in bring["监护人居民身份证"]["applies_to"]
    assert "applies_to" in bring["居民户口簿"]  # only 本市户籍 applicants bring it
    assert bring["居民户口簿"]["applies_to"].startswith("本市户籍")


def test_bring_list_puts_what_everyone_brings_first(catalog):
    bring = bring_list(by_name(catalog, "居民身份证首次申领"))
    assert bring[0] == {"name": "居民户口簿", "form": "原件", "copies": 0}
    assert all("applies_to" in m for m in bring[1:]) and len(bring) >= 2


@pytest.mark.parametrize("name, unit", [
    ("居民身份证补领", "日"), ("普通护照签发", "日"), ("离婚登记", "日"), ("法律援助申请", "日"),
    ("最低生活保障申请", "工作日"),
])
def test_legal_time_limit_keeps_the_laws_unit(catalog, name, unit):
    assert by_name(catalog, name).time_limit.legal_unit == unit


def test_every_note_that_names_a_legal_unit_agrees_with_the_field(catalog):
    for guide in catalog.guides.values():
        note = guide.time_limit.note or ""
        if "法定时限" in note:
            said = "工作日" if note.split("法定时限")[1].split("；")[0].endswith("工作日") else "日"
            assert guide.time_limit.legal_unit == said, guide.name


def test_a_window_printed_material_must_say_so():
    with pytest.raises(ValidationError, match="provided_at_window"):
        Material(name="申请表", form="原件", copies=1, note="窗口打印，本人签字")
    with pytest.raises(ValidationError, match="provided_at_window"):
        Material(name="相片", form="现场采集", copies=0)
    assert Material(name="相片", form="现场采集", copies=0, provided_at_window=True).must_bring() is False


def test_a_unit_that_contradicts_the_note_is_refused():
    with pytest.raises(ValidationError, match="legal_unit"):
        TimeLimit(legal_days=60, legal_unit="工作日", promised_days=15, note="法定时限六十日")
    with pytest.raises(ValidationError):
        TimeLimit(legal_days=60, legal_unit="天", promised_days=15)
    assert TimeLimit(legal_days=60, legal_unit="日", promised_days=15, note="法定时限六十日").legal_unit == "日"


def test_catalog_without_a_unit_does_not_load(catalog):
    raw = copy.deepcopy(by_name(catalog, "居民身份证补领").dict())
    del raw["time_limit"]["legal_unit"]
    with pytest.raises(ValidationError):
        Guide(**raw)


async def test_booking_response_lists_what_to_bring(portal):
    response = await book(portal, booking())
    assert response.status == 201
    data = await response.json()
    names = {m["name"] for m in data["bring"]}
    assert "监护人居民身份证" in names and "指纹信息" not in names and "本人相片" not in names
    assert next(m for m in data["bring"] if m["name"] == "监护人居民身份证")["applies_to"]


async def test_guide_detail_carries_the_bring_list(portal):
    response = await portal.get("/api/v1/guides/GA-0001")
    data = await response.json()
    assert [m["name"] for m in data["bring"]][0] == "居民户口簿"
    assert data["time_limit"]["legal_unit"] == "日"


async def test_a_catalog_stored_by_an_older_release_is_refreshed_from_the_files(sqlite_url, catalog):
    engine = create_engine(sqlite_url)
    await migrate(engine)
    await store_catalog(engine, catalog)
    old = json.loads(catalog.guides["GA-0003"].json())
    del old["time_limit"]["legal_unit"]
    for material in old["materials"]:
        del material["provided_at_window"], material["applies_to"]
    async with engine.begin() as conn:
        await conn.execute(sa.update(tables.items).where(tables.items.c.code == "GA-0003")
                           .values(guide=json.dumps(old, ensure_ascii=False)))
    read = await read_catalog(engine)
    assert read.guides["GA-0003"].time_limit.legal_unit == "日"
    assert len(read.guides) == len(catalog.guides)
    await engine.dispose()
