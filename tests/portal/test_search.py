"""Guide search: paraphrases, typos and homophones, close items told apart, API contract."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portal.catalog import Catalog
from portal.search import GuideIndex

PARAPHRASES = Path(__file__).parent.parent / "data" / "guide_paraphrases.yaml"
CATALOG_NAMES = [line.split("|")[2].strip() for line in
                 (Path(__file__).resolve().parents[2] / "docs" / "CATALOG.md").read_text().splitlines()
                 if line.startswith("| ") and line.split("|")[1].strip().isdigit()]


@pytest.fixture(scope="module")
def index() -> GuideIndex:
    return GuideIndex(list(Catalog.from_files().guides.values()))


def top(index: GuideIndex, query: str) -> str:
    hits = index.search(query, 3)
    return hits[0].name if hits else ""


def test_catalog_carries_every_item_of_catalog_md():
    names = {g.name for g in Catalog.from_files().guides.values()}
    assert len(CATALOG_NAMES) == 40
    assert set(CATALOG_NAMES) <= names


def test_paraphrase_set_is_large_and_never_uses_the_exact_name():
    paraphrases = yaml.safe_load(PARAPHRASES.read_text())
    assert set(paraphrases) == set(CATALOG_NAMES)
    queries = [q for qs in paraphrases.values() for q in qs]
    assert len(queries) >= 160 and all(len(qs) >= 4 for qs in paraphrases.values())
    assert not any(name in q for name in CATALOG_NAMES for q in queries)


def test_paraphrase_top1_accuracy_is_at_least_95_percent(index):
    paraphrases = yaml.safe_load(PARAPHRASES.read_text())
    misses = [(q, name, top(index, q)) for name, qs in paraphrases.items() for q in qs if top(index, q) != name]
    total = sum(map(len, paraphrases.values()))
    assert 1 - len(misses) / total >= 0.95, misses


@pytest.mark.parametrize("query, expected", [
    ("身分证丢了怎么补", "居民身份证补领"),
    ("公积金提现", "住房公积金提取"),
    ("架照到期了", "机动车驾驶证期满换证"),
    ("身份证掉了", "居民身份证补领"),
    ("身份证过期了要换", "居民身份证换领"),
    ("孩子第一次办身份证", "居民身份证首次申领"),
    ("第一次办护照", "普通护照签发"),
    ("护照丢了", "普通护照补发"),
    ("第一次办社保卡", "社会保障卡申领"),
    ("社保卡丢了补卡", "社会保障卡补换"),
    ("公积金贷款买房", "住房公积金个人住房贷款"),
    ("取公积金", "住房公积金提取"),
    ("小孩刚出生上户口", "出生登记"),
    ("怀孕了要办生育登记", "生育登记"),
    ("良民证", "无犯罪记录证明开具"),
    ("房产过户", "不动产转移登记"),
    ("護照丟了怎麼補辦", "普通护照补发"),
    ("身份證掉了", "居民身份证补领"),
    ("公積金提取", "住房公积金提取"),
    ("公基金怎么提取", "住房公积金提取"),
])
def test_close_items_and_typos(index, query, expected):
    assert top(index, query) == expected


def test_unrelated_text_finds_nothing(index):
    assert index.search("今天天气怎么样", 5) == [] or index.search("今天天气怎么样", 5)[0].score < 5


async def test_search_endpoint_contract(portal):
    response = await portal.get("/api/v1/guides/search", params={"q": "身份证丢了", "limit": 3})
    assert response.status == 200
    items = (await response.json())["items"]
    assert 1 <= len(items) <= 3
    assert items[0]["name"] == "居民身份证补领"
    assert set(items[0]) == {"code", "name", "department", "score"}
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "护照", "limit": "0"}, {"q": "护照", "limit": "abc"},
                                    {"q": "x" * 201}])
async def test_search_rejects_bad_parameters(portal, params):
    response = await portal.get("/api/v1/guides/search", params=params)
    assert response.status == 400
    assert (await response.json())["error"] in {"missing_parameter", "invalid_parameter"}
