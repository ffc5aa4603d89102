"""NLU data hygiene: the held-out sets never leak into training (generated files, entity spans and
intents per text: tests/test_data_check.py)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import List, Set

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from govbot.settings import ROOT

CONTRACT_INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "ask_guide", "book_appointment",
                    "query_appointment", "cancel_appointment", "check_status", "human_handoff", "complain",
                    "rate_service", "bot_challenge", "inform", "out_of_scope"}
CONTRACT_ENTITIES = {"service_item", "application_id", "phone_number", "id_number", "rating"}
# tests/nlu/*.yml: written by hand; tests/nlu/ood/*.yml: whole public corpora (govbot nlu ood)
HELD_OUT_FILES = sorted((ROOT / "tests" / "nlu").rglob("*.yml"))
NUMBERS_SLICE = ROOT / "tests" / "nlu" / "heldout_numbers.yml"
# a phone, an application number, an ID number, a booking number (YY + date + 8 digits), 4 last digits
_LONG_NUMBER = re.compile(r"\d[\d -]{2,}\d")
# the same in Chinese digits (一三九…, 幺八六…)
_CHINESE_NUMBER = re.compile(r"[零〇一二三四五六七八九幺 ]{7,}")
MINIMUM = {intent: 40 for intent in CONTRACT_INTENTS} | {
    "ask_guide": 120, "book_appointment": 120, "check_status": 120, "inform": 120}


def training_data() -> TrainingData:
    return TrainingData().merge(*(load_data(str(p)) for p in sorted((ROOT / "nlu_data").rglob("*.yml"))))


def test_every_contract_intent_has_enough_examples():
    counts = training_data().number_of_examples_per_intent
    assert set(counts) == CONTRACT_INTENTS
    short = {intent: counts[intent] for intent, minimum in MINIMUM.items() if counts[intent] < minimum}
    assert not short, short


def test_the_main_held_out_set_covers_every_intent():
    held_out = load_data(str(ROOT / "tests" / "nlu" / "heldout.yml"))
    assert set(held_out.number_of_examples_per_intent) == CONTRACT_INTENTS
    assert min(held_out.number_of_examples_per_intent.values()) >= 15


def test_there_is_a_numbers_slice():
    assert NUMBERS_SLICE in HELD_OUT_FILES


@pytest.mark.parametrize("held_out_file", HELD_OUT_FILES, ids=lambda p: p.name)
def test_held_out_file_is_well_formed(held_out_file: Path):
    """Contract intents and entities only, annotated spans as typed, no message twice."""
    held_out = load_data(str(held_out_file))
    texts = [m.get("text") for m in held_out.intent_examples]
    assert texts, f"{held_out_file.name} has no messages"
    assert set(held_out.number_of_examples_per_intent) <= CONTRACT_INTENTS
    assert sorted({t for t in texts if texts.count(t) > 1}) == []
    for message in held_out.intent_examples:
        for entity in message.get("entities") or []:
            assert entity["entity"] in CONTRACT_ENTITIES, (message.get("text"), entity)
            assert message.get("text")[entity["start"]:entity["end"]] == entity["value"] or entity["entity"] == "rating"


@pytest.mark.parametrize("held_out_file", HELD_OUT_FILES, ids=lambda p: p.name)
def test_held_out_messages_are_not_in_the_training_data(held_out_file: Path):
    training = {m.get("text") for m in training_data().intent_examples}
    held_out = load_data(str(held_out_file))
    leaked = [m.get("text") for m in held_out.intent_examples if m.get("text") in training]
    assert not leaked, leaked


def _numbers(texts: List[str]) -> Set[str]:
    found = set()
    for text in texts:
        found |= {re.sub(r"[ -]", "", n) for n in _LONG_NUMBER.findall(text)}
        found |= {n.replace(" ", "") for n in _CHINESE_NUMBER.findall(text)}
    return found


def test_numbers_slice_asks_with_numbers_and_shares_none_with_training():
    """Every message of the slice carries a value; its numbers were never seen in training."""
    held_out = load_data(str(NUMBERS_SLICE))
    messages = held_out.intent_examples
    assert len(messages) >= 80
    purposes = {"check_status", "query_appointment", "cancel_appointment", "book_appointment"}
    assert purposes < set(held_out.number_of_examples_per_intent)
    for message in messages:
        has_value = _numbers([message.get("text")]) or message.get("entities") or message.get("intent") == "inform"
        assert has_value, message.get("text")
    asking = [m for m in messages if m.get("intent") in purposes]
    assert len(asking) >= 60
    assert all(_numbers([m.get("text")]) for m in asking), (
        [m.get("text") for m in asking if not _numbers([m.get("text")])])
    shared = (_numbers([m.get("text") for m in messages])
              & _numbers([m.get("text") for m in training_data().intent_examples]))
    assert not {n for n in shared if len(n) > 4}, shared  # four digits may meet by chance, whole numbers not
