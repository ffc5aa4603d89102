"""The NLU benchmark's figures (benchmarks/nlu_metrics.py) on hand-made predictions."""
from __future__ import annotations

import json
import sys

import pytest

from govbot.intents import GOVERNMENT_INTENTS
from govbot.settings import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import nlu_metrics as m  # noqa: E402
import nlu_plots  # noqa: E402


def p(target: str, predicted: str, confidence: float, text: str = "x") -> m.Prediction:
    return m.Prediction(text, target, predicted, confidence)


def test_perfectly_calibrated_predictions_have_no_calibration_error():
    # In the bin of 0.7 seven of ten are right; at confidence 1.0 all are.
    predictions = [p("a", "a", 0.7)] * 7 + [p("a", "b", 0.7)] * 3 + [p("a", "a", 1.0)] * 5
    assert m.expected_calibration_error(predictions) == pytest.approx(0.0)


def test_calibration_error_weighs_each_bins_gap_by_its_share():
    # Bin 0.9: 4 messages at 0.9, 2 right (gap 0.4); bin 0.3: 4 at 0.3, 2 right (gap 0.2).
    predictions = [p("a", "a", 0.9)] * 2 + [p("a", "b", 0.9)] * 2 + [p("a", "a", 0.3)] * 2 + [p("a", "b", 0.3)] * 2
    assert m.expected_calibration_error(predictions) == pytest.approx(0.5 * 0.4 + 0.5 * 0.2)
    bins = m.reliability_bins(predictions)
    assert len(bins) == m.ECE_BINS == 15 and sum(b.count for b in bins) == 8
    assert m.reliability_bins([p("a", "a", 1.0)])[-1].count == 1  # 1.0 falls in the last bin


def test_out_of_domain_rate_counts_government_intents_past_the_fallback():
    ood = [p("out_of_scope", "ask_guide", 0.9),       # taken for a guide question: counted
           p("out_of_scope", "check_status", 0.40),   # below the threshold: nlu_fallback
           p("out_of_scope", "inform", 0.95),         # a bare value starts nothing
           p("out_of_scope", "greet", 0.99),
           p("out_of_scope", "out_of_scope", 0.8)]
    assert m.ood_rate(ood, GOVERNMENT_INTENTS, 0.45) == pytest.approx(1 / 5)
    assert m.ood_rate(ood, GOVERNMENT_INTENTS, 0.0) == pytest.approx(2 / 5)
    assert m.accepted(p("a", "a", 0.45), 0.45)  # FallbackClassifier rejects only below the threshold
    assert m.accepted_by_intent(ood, 0.45) == {"ask_guide": 1, "greet": 1, "inform": 1, "nlu_fallback": 1,
                                               "out_of_scope": 1}


def test_government_intents_are_declared_in_the_domain_and_leave_small_talk_out():
    from rasa.shared.core.domain import Domain

    intents = set(Domain.load(str(ROOT / "bot" / "domain")).intents)
    assert GOVERNMENT_INTENTS <= intents
    assert not GOVERNMENT_INTENTS & {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "inform",
                                     "out_of_scope", "nlu_fallback"}


def test_recommended_threshold_rejects_most_out_of_domain_within_the_recall_loss():
    # 200 government messages read right: two below 0.5, the rest at 0.95; a 1 % loss allows two.
    heldout = [p("ask_guide", "ask_guide", 0.3), p("complain", "complain", 0.45)]
    heldout += [p("ask_guide", "ask_guide", 0.95)] * 198 + [p("greet", "greet", 0.2)]  # small talk: not counted
    weather = [p("out_of_scope", "ask_guide", c) for c in (0.35, 0.5, 0.6, 0.97)] + [p("out_of_scope", "greet", 0.9)]
    ood = {"weather": weather,
           "recipes": [p("out_of_scope", "complain", 0.55), p("out_of_scope", "out_of_scope", 0.9)]}
    # Up to 0.95 at most 2 of 200 are lost; from 0.61 on only the 0.97 weather message gets through.
    found = m.recommend_threshold(heldout, ood, GOVERNMENT_INTENTS, current=0.45, max_loss=0.01)
    assert found == m.Recommendation(0.61, {"weather": 1 / 5, "recipes": 0.0}, 2 / 200, lowest=0.61, highest=0.95)
    # A config already in the best range is kept; one above it loses too much and comes down.
    assert m.recommend_threshold(heldout, ood, GOVERNMENT_INTENTS, current=0.8).threshold == 0.8
    assert m.recommend_threshold(heldout, ood, GOVERNMENT_INTENTS, current=0.98).threshold == 0.95
    # With no loss allowed only thresholds up to 0.30 are candidates; none of them rejects an
    # out-of-domain message (the lowest is at 0.35), so all are as good and 0.3 is nearest.
    strict = m.recommend_threshold(heldout, ood, GOVERNMENT_INTENTS, current=0.45, max_loss=0.0)
    assert (strict.threshold, strict.lowest, strict.highest) == (0.3, 0.0, 0.3)
    assert m.recommend_threshold(heldout, {}, GOVERNMENT_INTENTS, current=0.45) is None


def test_entity_scores_read_each_entity_of_a_report_and_the_micro_average():
    report = {"phone_number": {"precision": 1.0, "recall": 0.5, "f1-score": 0.667, "support": 4},
              "service_item": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 10},
              "no_entity": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 300},
              "micro avg": {"precision": 0.9, "recall": 0.8, "f1-score": 0.85, "support": 14},
              "macro avg": {"precision": 0.9, "recall": 0.7, "f1-score": 0.78, "support": 14},
              "weighted avg": {"precision": 0.9, "recall": 0.8, "f1-score": 0.82, "support": 14},
              "accuracy": 0.98}
    scores = m.entity_scores(report)
    assert scores == {"phone_number": {"f1": 0.667, "support": 4}, "service_item": {"f1": 0.9, "support": 10},
                      "micro avg": {"f1": 0.85, "support": 14}}
    regex = {"phone_number": {"f1": 1.0, "support": 4}, "service_item": {"f1": 0.0, "support": 10}}
    assert m.best_entity_f1({"DIETClassifier": scores, "RegexEntityExtractor": regex}) == {
        "phone_number": {"f1": 1.0, "extractor": "RegexEntityExtractor"},
        "service_item": {"f1": 0.9, "extractor": "DIETClassifier"}}


def test_predictions_are_read_from_both_files_rasa_test_nlu_writes(tmp_path):
    row = {"text": "你好", "intent": "greet", "intent_prediction": {"name": "greet", "confidence": 0.9}}
    (tmp_path / "intent_successes.json").write_text(json.dumps([row], ensure_ascii=False))
    error = {**row, "intent_prediction": {"name": "thank", "confidence": 0.6}}
    (tmp_path / "intent_errors.json").write_text(json.dumps([error]))
    assert m.load_predictions(tmp_path) == [p("greet", "greet", 0.9, "你好"), p("greet", "thank", 0.6, "你好")]
    assert m.accuracy(m.load_predictions(tmp_path)) == 0.5


def test_markdown_table_puts_the_pipelines_side_by_side_with_the_target():
    rows = [m.Row("held-out intent macro-F1", {"ours": 0.9812, "baseline": 0.9}, ">= 0.97"),
            m.Row("numbers slice", {"ours": 0.95, "baseline": None})]
    assert m.markdown_table(rows, ["ours", "baseline"]) == (
        "| figure | ours | baseline | target |\n"
        "|---|---:|---:|---|\n"
        "| held-out intent macro-F1 | 0.981 | 0.900 | >= 0.97 |\n"
        "| numbers slice | 0.950 | - |  |\n")


def test_confusion_matrix_and_reliability_diagram_are_drawn(tmp_path):
    predictions = [p("greet", "greet", 0.9), p("greet", "thank", 0.6), p("ask_guide", "ask_guide", 0.99)]
    labels, counts = m.confusion(predictions)
    assert labels == ["ask_guide", "greet", "thank"] and counts == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    for png in (nlu_plots.confusion_matrix_png(labels, counts, "t", tmp_path / "c.png"),
                nlu_plots.reliability_png(m.reliability_bins(predictions), 0.1, "t", tmp_path / "r.png")):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_gate_threshold_is_the_highest_that_keeps_the_government_loss_budget():
    probabilities = [0.02] + [0.6] * 49 + [0.9] * 50  # one of 100 government messages looks everyday
    assert m.highest_threshold_within(probabilities, 0.01) == 0.6
    assert m.highest_threshold_within(probabilities, 0.0) == 0.0
