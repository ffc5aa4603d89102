"""``govbot nlu check`` passes on the repository's data and catches each kind of problem it names."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Dict

import pytest

from govbot import data_check
from govbot.data_check import Project
from govbot.homophones import base_tokenizer
from govbot.nlu_sync import generate, is_dictionary_word
from portal.catalog import Catalog

CONFIG = """\
language: zh
pipeline:
  - name: JiebaTokenizer
    dictionary_path: jieba
"""
DOMAIN = """\
version: "3.1"
intents: [greet, complain]
slots:
  complaint_text:
    type: text
    mappings:
      - type: from_text
forms:
  complaint_form:
    required_slots: [complaint_text]
responses:
  utter_greet: [{text: 您好}]
  utter_sorry: [{text: 抱歉}]
  utter_ask_complaint_text: [{text: 请说说遇到的问题}]
  utter_never_said: [{text: 没人说这句}]
"""
RULES = """\
version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
"""
ACTION = 'def run(dispatcher):\n    dispatcher.utter_message(response="utter_sorry")\n'


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_files()


def small_project(root: Path, nlu: Dict[str, str], dictionary: str = "") -> Project:
    """A project of a few files: ``nlu`` maps file names to their NLU examples."""
    files = {"config.yml": CONFIG, "jieba/userdict.txt": dictionary, "domain/domain.yml": DOMAIN,
             "data/rules.yml": RULES, "actions/replies.py": ACTION}
    files |= {f"nlu/{name}": f'version: "3.1"\nnlu:\n{text}' for name, text in nlu.items()}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return Project(root=root, nlu="nlu", domain="domain", dialogues="data", code="actions",
                   lookup="lookups/service_items.yml", jieba="jieba/userdict.txt")


def test_the_repository_data_passes(catalog: Catalog):
    problems = data_check.check(catalog=catalog)
    assert not problems, data_check.report(problems)


def test_the_dictionary_keeps_names_and_leaves_verb_phrases_and_questions_out():
    kept = ["补办身份证", "低保申请", "居民身份证首次申领", "港澳通行证续签", "提公积金", "换驾照"]
    left_out = ["办护照", "申请社保卡", "第一次办护照", "开无犯罪证明", "领结婚证", "残疾证怎么办", "护照多少钱"]
    assert [w for w in kept if not is_dictionary_word(w, base_tokenizer())] == []
    assert [w for w in left_out if is_dictionary_word(w, base_tokenizer())] == []


def test_jieba_with_the_generated_dictionary_cuts_the_verb_off_the_item(tmp_path: Path):
    """办护照 is 办/护照, so [护照](service_item) in 我要办护照 is a token of its own."""
    project = small_project(tmp_path, {"guides.yml": "- intent: ask_guide\n  examples: |\n"
                                                     "    - 我要办[护照](service_item)\n"
                                                     "    - 办[社保卡](service_item)去哪\n"})
    (tmp_path / "jieba" / "userdict.txt").write_text(Project().path("jieba").read_text(encoding="utf-8"),
                                                     encoding="utf-8")
    assert data_check.misaligned_annotations(project) == []


def test_a_span_inside_a_dictionary_word_is_reported_as_rasa_warns(tmp_path: Path):
    from rasa.nlu.extractors.extractor import EntityExtractorMixin
    from rasa.shared.nlu.training_data.loading import load_data

    nlu = {"booking.yml": "- intent: book_appointment\n  examples: |\n"
                          "    - 我要约明天办[护照](service_item)\n"
                          "    - 我要约明天[补办身份证](service_item)\n"}
    project = small_project(tmp_path, nlu, dictionary="办护照 2000 n\n补办身份证 2000 n\n")
    problems = data_check.misaligned_annotations(project)
    assert [(p.where, p.rule) for p in problems] == [("nlu/booking.yml", "misaligned entity")]
    assert "[护照](service_item) in '我要约明天办护照'" in problems[0].what and "办护照" in problems[0].what
    with data_check._own_jieba(), data_check._rasa_tokenizer(project) as tokenizer, \
            warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        data = tokenizer.process_training_data(load_data(str(tmp_path / "nlu" / "booking.yml")))
        EntityExtractorMixin.check_correct_entity_annotations(data)
    assert [str(w.message).split("'")[1] for w in warned if "Misaligned" in str(w.message)] == ["我要约明天办护照"]


def test_the_same_text_under_two_intents_is_reported_whatever_the_spaces(tmp_path: Path):
    nlu = {"a.yml": "- intent: inform\n  examples: |\n    - 明天上午  [护照](service_item)\n    - 张三\n",
           "b.yml": "- intent: book_appointment\n  examples: |\n    - 明天上午 护照\n    - 约明天\n"}
    problems = data_check.repeated_across_intents(small_project(tmp_path, nlu))
    assert [(p.where, p.what) for p in problems] == [
        ("nlu/a.yml, nlu/b.yml", "'明天上午 护照': book_appointment (nlu/b.yml), inform (nlu/a.yml)")]


def test_generated_files_out_of_step_with_the_catalog_are_reported(tmp_path: Path, catalog: Catalog):
    project = small_project(tmp_path, {}, dictionary=generate(catalog).jieba + "办护照 2000 n\n")
    problems = data_check.stale_generated_files(project, catalog)
    assert sorted(p.where for p in problems) == ["jieba/userdict.txt", "lookups/service_items.yml"]  # edited, missing
    (tmp_path / "lookups").mkdir()
    (tmp_path / "lookups" / "service_items.yml").write_text(generate(catalog).lookup, encoding="utf-8")
    (tmp_path / "jieba" / "userdict.txt").write_text(generate(catalog).jieba, encoding="utf-8")
    assert data_check.stale_generated_files(project, catalog) == []


def test_a_response_said_by_a_rule_an_action_or_a_form_is_used_and_the_rest_is_reported(tmp_path: Path):
    problems = data_check.unused_responses(small_project(tmp_path, {}))
    assert [p.what.split()[0] for p in problems] == ["utter_never_said"]


def test_the_command_fails_with_the_list(tmp_path: Path, catalog: Catalog, capsys):
    nlu = {"a.yml": "- intent: greet\n  examples: |\n    - 你好\n",
           "b.yml": "- intent: thank\n  examples: |\n    - 你好\n"}
    project = small_project(tmp_path, nlu)
    assert data_check.main(project, catalog) == 1
    out = capsys.readouterr().out
    assert "1 × text under two intents" in out and "'你好'" in out and "out of step with the catalog" in out
