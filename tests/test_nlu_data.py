"""NLU data hygiene: generated catalog files are current, the held-out set never leaks into training."""
from __future__ import annotations

from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from govbot.nlu_sync import JIEBA_FILE, LOOKUP_FILE, sync
from govbot.settings import ROOT
from portal.catalog import Catalog

CONTRACT_INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "ask_guide", "book_appointment",
                    "query_appointment", "cancel_appointment", "check_status", "human_handoff", "complain",
                    "rate_service", "bot_challenge", "inform", "out_of_scope"}
MINIMUM = {intent: 40 for intent in CONTRACT_INTENTS} | {
    "ask_guide": 120, "book_appointment": 120, "check_status": 120, "inform": 120}


def training_data() -> TrainingData:
    return TrainingData().merge(*(load_data(str(p)) for p in sorted((ROOT / "nlu_data").rglob("*.yml"))))


def test_generated_lookups_match_the_catalog(tmp_path: Path):
    sync(Catalog.from_files(), tmp_path / "lookup.yml", tmp_path / "userdict.txt")
    assert (tmp_path / "lookup.yml").read_text() == LOOKUP_FILE.read_text(), "run `govbot nlu sync`"
    assert (tmp_path / "userdict.txt").read_text() == JIEBA_FILE.read_text(), "run `govbot nlu sync`"


def test_every_contract_intent_has_enough_examples():
    counts = training_data().number_of_examples_per_intent
    assert set(counts) == CONTRACT_INTENTS
    short = {intent: counts[intent] for intent, minimum in MINIMUM.items() if counts[intent] < minimum}
    assert not short, short


def test_held_out_messages_are_not_in_the_training_data():
    training = {m.get("text") for m in training_data().intent_examples}
    held_out = load_data(str(ROOT / "tests" / "nlu" / "heldout.yml"))
    assert min(held_out.number_of_examples_per_intent.values()) >= 15
    leaked = [m.get("text") for m in held_out.intent_examples if m.get("text") in training]
    assert not leaked, leaked
