"""The figures `benchmarks/nlu_eval.py` reports, computed from what `rasa test nlu` writes.

Kept apart from the script (which trains and runs Rasa) so that each figure is plain arithmetic
on a few predictions and can be checked by hand in tests/test_nlu_metrics.py.

`rasa test nlu` undoes the FallbackClassifier before it writes a prediction (rasa/nlu/test.py,
``undo_fallback_prediction``): each message keeps the classifier's top intent and confidence.
The fallback is applied again here: a message is *accepted* when its top confidence is at least
the threshold (``FallbackClassifier._should_fallback`` rejects ``confidence < threshold``).
Only the top confidence is written, not the ranking, so the ambiguity rule (top two closer than
``ambiguity_threshold``) cannot be applied: the out-of-domain rates here are upper bounds of
what the served assistant accepts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence

ECE_BINS = 15
REPORT_SUMMARIES = ("accuracy", "micro avg", "macro avg", "weighted avg", "no_entity")


class Prediction(NamedTuple):
    text: str
    target: str
    predicted: str
    confidence: float

    @property
    def correct(self) -> bool:
        return self.target == self.predicted


def load_predictions(out: Path) -> List[Prediction]:
    """Every message of one `rasa test nlu --successes` run (intent_successes.json and
    intent_errors.json; a file is absent when no message falls in it)."""
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for row in json.loads(path.read_text()) if path.exists() else []:
            predicted = row["intent_prediction"]
            predictions.append(Prediction(row["text"], row["intent"], predicted.get("name") or "",
                                          float(predicted.get("confidence") or 0.0)))
    return predictions


def accuracy(predictions: Sequence[Prediction]) -> float:
    return sum(p.correct for p in predictions) / len(predictions)


@dataclass(frozen=True)
class Bin:
    """One confidence bin of a reliability diagram: [lower, upper)."""
    lower: float
    upper: float
    count: int
    accuracy: float
    confidence: float


def reliability_bins(predictions: Sequence[Prediction], bins: int = ECE_BINS) -> List[Bin]:
    """Equal-width bins over [0, 1] of the top-1 confidence (1.0 falls in the last bin)."""
    members: List[List[Prediction]] = [[] for _ in range(bins)]
    for p in predictions:
        members[min(int(p.confidence * bins), bins - 1)].append(p)
    return [Bin(i / bins, (i + 1) / bins, len(m), accuracy(m) if m else 0.0,
                sum(p.confidence for p in m) / len(m) if m else 0.0) for i, m in enumerate(members)]


def expected_calibration_error(predictions: Sequence[Prediction], bins: int = ECE_BINS) -> float:
    """ECE: the gap between confidence and accuracy in each bin, weighted by the bin's share."""
    total = len(predictions)
    return sum(b.count / total * abs(b.accuracy - b.confidence) for b in reliability_bins(predictions, bins))


def accepted(prediction: Prediction, threshold: float) -> bool:
    """Whether the FallbackClassifier at ``threshold`` lets the top intent through."""
    return prediction.confidence >= threshold


def ood_rate(predictions: Sequence[Prediction], government: Collection[str], threshold: float) -> float:
    """Share of out-of-domain messages taken for a government intent past the fallback."""
    return sum(p.predicted in government and accepted(p, threshold) for p in predictions) / len(predictions)


def accepted_by_intent(predictions: Iterable[Prediction], threshold: float) -> Dict[str, int]:
    """How many messages each intent took past the fallback (the rest are ``nlu_fallback``)."""
    counts: Dict[str, int] = {}
    for p in predictions:
        name = p.predicted if accepted(p, threshold) else "nlu_fallback"
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class Recommendation:
    threshold: float
    ood_rates: Dict[str, float]  # per out-of-domain corpus, at the threshold
    recall_loss: float  # share of correctly read government messages the threshold rejects
    lowest: float  # every threshold from lowest to highest is as good on these corpora
    highest: float  # the last one within the loss budget


def recall_loss(heldout: Sequence[Prediction], government: Collection[str], threshold: float) -> float:
    """Share of the correctly read held-out government messages the fallback would reject."""
    kept = [p for p in heldout if p.correct and p.target in government]
    return sum(not accepted(p, threshold) for p in kept) / len(kept) if kept else 0.0


def recommend_threshold(heldout: Sequence[Prediction], ood: Mapping[str, Sequence[Prediction]],
                        government: Collection[str], current: float, max_loss: float = 0.01,
                        grid: Optional[Sequence[float]] = None) -> Optional[Recommendation]:
    """The fallback threshold that takes the fewest out-of-domain messages for government ones
    (worst corpus first) while rejecting at most ``max_loss`` of the government messages the
    model reads right. Acceptance only falls as the threshold rises, so the best thresholds
    form a range, from the lowest that reaches the minimum to the last within the budget; of
    them the one nearest ``current`` (the config's), so the config changes only for a gain.
    None without out-of-domain corpora (nothing to minimise) or when no threshold keeps the budget."""
    candidates = [t for t in (grid or [i / 100 for i in range(100)]) if recall_loss(heldout, government, t) <= max_loss]
    if not ood or not candidates:
        return None

    def rates(t: float) -> Dict[str, float]:
        return {name: ood_rate(messages, government, t) for name, messages in ood.items()}

    def worst(t: float) -> tuple:
        return max(rates(t).values()), sum(rates(t).values())

    fewest = min(worst(t) for t in candidates)
    best = [t for t in candidates if worst(t) == fewest]
    lowest, highest = min(best), max(best)
    chosen = min(max(current, lowest), highest)
    return Recommendation(chosen, rates(chosen), recall_loss(heldout, government, chosen), lowest, highest)


def highest_threshold_within(probabilities: Sequence[float], max_loss: float,
                             grid: Optional[Sequence[float]] = None) -> float:
    """The highest threshold (of ``grid``, 0.05 steps by default) below which at most ``max_loss``
    of these probabilities fall: for the domain gate, the strictest setting that rejects at most
    that share of real government messages. Chosen on government messages only, so the
    out-of-domain corpora stay a test the threshold never saw."""
    grid = grid or [i / 20 for i in range(20)]
    budget = max_loss * len(probabilities)
    return max([0.0, *(t for t in grid if sum(p < t for p in probabilities) <= budget)])


def confusion(predictions: Iterable[Prediction]) -> tuple[List[str], List[List[int]]]:
    """Labels (targets and predictions, sorted) and counts[target][predicted]."""
    predictions = list(predictions)
    labels = sorted({p.target for p in predictions} | {p.predicted for p in predictions})
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for p in predictions:
        counts[index[p.target]][index[p.predicted]] += 1
    return labels, counts


def entity_scores(report: Mapping[str, Mapping[str, float]]) -> Dict[str, Dict[str, float]]:
    """Per entity type F1 and support from one extractor's `rasa test nlu` report, and its
    micro average under "micro avg"; `no_entity` and the other averages are left out."""
    scores = {name: {"f1": row["f1-score"], "support": row["support"]}
              for name, row in report.items() if name not in REPORT_SUMMARIES and isinstance(row, Mapping)}
    if "micro avg" in report:
        scores["micro avg"] = {"f1": report["micro avg"]["f1-score"], "support": report["micro avg"]["support"]}
    return scores


def best_entity_f1(extractors: Mapping[str, Mapping[str, Mapping[str, float]]]) -> Dict[str, Dict[str, object]]:
    """Per entity type, the extractor of the pipeline that finds it best (the regex extractor
    finds numbers, DIET the service items) with its F1; "micro avg" is left to each extractor."""
    best: Dict[str, Dict[str, object]] = {}
    for extractor, scores in extractors.items():
        for entity, score in scores.items():
            if entity != "micro avg" and score["support"] and score["f1"] > best.get(entity, {}).get("f1", -1.0):
                best[entity] = {"f1": score["f1"], "extractor": extractor}
    return dict(sorted(best.items()))


@dataclass(frozen=True)
class Row:
    """One line of the Markdown table: a figure per pipeline and the target it must meet."""
    name: str
    values: Dict[str, Optional[float]]
    target: str = ""


def markdown_table(rows: Sequence[Row], pipelines: Sequence[str]) -> str:
    """Pipelines side by side, one figure a line; '-' where a pipeline has no such figure."""
    lines = ["| figure | " + " | ".join(pipelines) + " | target |",
             "|---|" + "---:|" * len(pipelines) + "---|"]
    for row in rows:
        cells = ["-" if row.values.get(p) is None else f"{row.values[p]:.3f}" for p in pipelines]
        lines.append(f"| {row.name} | " + " | ".join(cells) + f" | {row.target} |")
    return "\n".join(lines) + "\n"
