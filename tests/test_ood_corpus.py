"""``govbot nlu ood``: public OOD corpora become held-out sets and training data, filtered the same way."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from govbot.ood_corpus import (
    Filters,
    Message,
    RawCorpora,
    _quotas,
    build,
    clean,
    is_contract_talk,
    is_government,
    read_smp2017,
    select,
)
from portal.catalog import Catalog

SMP2019 = [{"text": t, "domain": d, "intent": "QUERY", "slots": {}} for d, t in [
    ("music", "放一首周杰伦的歌"), ("music", "我想听稻香"), ("weather", "明天北京天气"),
    ("cookbook", "红烧肉怎么做"), ("health", "感冒了吃什么药"), ("health", "公积金怎么提取"),
    ("poetry", "床前明月光下一句是什么"), ("telephone", "帮我给妈妈打个电话"),
    ("train", "订一张去上海的高铁票"), ("app", "打开[微信](app)"), ("app", "你好")]]
CROSSWOZ = {"1": {"messages": [
    {"role": "usr", "content": "你好，帮我推荐一个评分4.5分以上的景点。",
     "dialog_act": [["General", "greet", "none", "none"], ["Request", "景点", "名称", ""]]},
    {"role": "sys", "content": "推荐故宫。", "dialog_act": [["Inform", "景点", "名称", "故宫"]]},
    {"role": "usr", "content": "附近有什么酒店？", "dialog_act": [["Request", "酒店", "名称", ""]]},
    {"role": "usr", "content": "我想办个护照，附近有出入境大厅吗？", "dialog_act": [["Request", "景点", "名称", ""]]},
    {"role": "usr", "content": "谢谢，再见", "dialog_act": [["General", "bye", "none", "none"]]}]}}
# the format of the copy bundled with SMP2019: train and develop objects glued together
SMP2017 = ('{\n  "0": {\n    "query": "今天东莞天气如何",\n    "label": "weather"\n  },\n  {\n  "0": {\n'
           '    "query": "明天北京天气",\n    "label": "weather"\n  },\n  "1": {\n    "query": "唠什么",\n'
           '    "label": "chat"\n  },\n  "2": {\n    "query": "身份证丢了怎么办",\n    "label": "chat"\n  },\n'
           '  "3": {\n    "query": "谢谢",\n    "label": "chat"\n  },\n  "4": {\n    "query": "给我讲个笑话",\n'
           '    "label": "joke"\n  }\n}\n}')
KDCONV = [{"name": "稻香", "messages": [{"message": "知道李宗盛这个吗？"}, {"message": "知道呀。"},
                                         {"message": "他写过哪些歌？"}, {"message": "很多。"},
                                         {"message": "好的，谢谢你。"}]}]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_files()


@pytest.fixture()
def built(tmp_path: Path, catalog: Catalog) -> Path:
    """A tiny project tree with one training file and one held-out file, and the OOD data built into it."""
    raw = _raw_corpora(tmp_path / "raw")
    (tmp_path / "nlu_data").mkdir()
    (tmp_path / "nlu_data" / "chat.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples: |\n    - 我想听稻香\n', encoding="utf-8")
    (tmp_path / "tests" / "nlu").mkdir(parents=True)
    (tmp_path / "tests" / "nlu" / "heldout.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples: |\n    - 给我讲个笑话\n', encoding="utf-8")
    build(raw, catalog, root=tmp_path)
    return tmp_path


def _raw_corpora(directory: Path) -> RawCorpora:
    directory.mkdir()
    files: Dict[str, str] = {"smp2019.json": json.dumps(SMP2019, ensure_ascii=False),
                             "crosswoz.json": json.dumps(CROSSWOZ, ensure_ascii=False),
                             "smp2017.json": SMP2017, "music_dev.json": json.dumps(KDCONV, ensure_ascii=False)}
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return RawCorpora(directory / "smp2019.json", (directory / "crosswoz.json",), directory / "smp2017.json",
                      (directory / "music_dev.json",))


def _texts(path: Path) -> List[str]:
    data = load_data(str(path))
    assert set(data.number_of_examples_per_intent) == {"out_of_scope"}
    return [m.get("text") for m in data.intent_examples]


def test_the_government_filter_drops_government_matters_and_keeps_assistant_commands(catalog: Catalog):
    filters = Filters.from_catalog(catalog)
    government = ["公积金怎么提取", "身份证丢了怎么办", "港澳通行证续签", "领结婚证要带什么", "12345热线电话"]
    everyday = ["放一首周杰伦的歌", "红烧肉怎么做", "明天北京天气", "附近有什么好吃的小吃饭店", "订一张去上海的高铁票"]
    assert all(is_government(t, filters.terms, filters.keyword_sets) for t in government)
    assert not any(is_government(t, filters.terms, filters.keyword_sets) for t in everyday)


def test_greetings_thanks_and_questions_to_the_assistant_are_not_ood():
    assert all(is_contract_talk(t) for t in ["你好", "好的，谢谢你。", "谢谢，再见", "你是机器人吗"])
    assert not any(is_contract_talk(t) for t in ["放一首周杰伦的歌", "最近好评的喜剧电影", "明晚真人秀频道播什么"])


def test_cleaning_removes_rasa_markup_and_keeps_lengths():
    assert clean("打开[微信](app)") == "打开 微信 app"
    assert clean("\ufeff- {查} 天气") == "查 天气"
    assert clean("好") is None and clean("长" * 61) is None


def test_the_glued_smp2017_file_is_read_row_by_row(tmp_path: Path):
    (tmp_path / "data.json").write_text(SMP2017, encoding="utf-8")
    assert [m.text for m in read_smp2017(tmp_path / "data.json")][:2] == ["今天东莞天气如何", "明天北京天气"]


def test_samples_spread_over_domains_and_are_deterministic(catalog: Catalog):
    messages = [Message(d, f"{d}的问题{i}") for d in ("music", "weather", "map") for i in range(30)]
    messages += [Message("joke", "讲个笑话")]
    first = select("x", messages, 10, Filters.from_catalog(catalog))
    assert first.texts == select("x", list(reversed(messages)), 10, Filters.from_catalog(catalog)).texts
    assert dict(first.domains) == {"joke": 1, "map": 3, "music": 3, "weather": 3}
    assert _quotas({"a": 1, "b": 100}, 10) == {"a": 1, "b": 9}


def test_build_writes_loadable_held_out_sets_and_training_data(built: Path):
    smp2019 = _texts(built / "tests" / "nlu" / "ood" / "smp2019_ecdt.yml")
    crosswoz = _texts(built / "tests" / "nlu" / "ood" / "crosswoz.yml")
    training = _texts(built / "nlu_data" / "out_of_scope_public.yml")
    assert "放一首周杰伦的歌" in smp2019 and "打开 微信 app" in smp2019
    assert not {"公积金怎么提取", "你好", "我想听稻香"} & set(smp2019)  # government, greeting, training text
    assert crosswoz == ["你好，帮我推荐一个评分4.5分以上的景点。", "附近有什么酒店？"]
    assert sorted(training) == sorted(["今天东莞天气如何", "唠什么", "知道李宗盛这个吗？", "他写过哪些歌？"])


def test_training_data_repeats_no_held_out_text(built: Path):
    """明天北京天气 is in the held-out SMP2019 corpus, 给我讲个笑话 in a held-out file: neither is trained on."""
    training = set(_texts(built / "nlu_data" / "out_of_scope_public.yml"))
    held_out = {t for p in (built / "tests" / "nlu").rglob("*.yml") for t in _texts(p)}
    assert not training & held_out
    assert not {"明天北京天气", "给我讲个笑话"} & training


def test_build_is_deterministic(built: Path, catalog: Catalog, tmp_path: Path):
    before = {p: p.read_text(encoding="utf-8") for p in sorted(built.rglob("*.yml"))}
    build(_raw_corpora(tmp_path / "raw2"), catalog, root=built)
    assert {p: p.read_text(encoding="utf-8") for p in sorted(built.rglob("*.yml"))} == before
