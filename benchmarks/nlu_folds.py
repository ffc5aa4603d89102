"""Cross-validation that survives interruption: one fold at a time, each fold's confusion counts
kept with the figures (docs/nlu/nlu_eval.json), so a long cross-validation (two hours for the stock
baseline on two cores) runs across several sittings and ends with the same result.

The folds are Rasa's own (stratified by intent, synonyms, regexes and lookups kept in every
part: ``rasa.nlu.test.generate_folds``), but seeded, so that every sitting splits alike. Each fold
is trained with ``rasa train nlu`` and scored with ``rasa test nlu``; the cross-validation figures
are the pooled predictions of all folds (as ``rasa test nlu --cross-validation`` reports them).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

from rasa.shared.data import get_data_files, is_nlu_file
from rasa.shared.importers.utils import training_data_from_paths
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

SEED = 2026
Confusion = Dict[str, Dict[str, int]]  # gold intent -> predicted intent -> count


def fold_files(data: Path, folds: int, fold: int, work: Path) -> Tuple[Path, Path]:
    """The training and test files of fold ``fold`` (0-based) of ``folds``, written into ``work``."""
    # Rasa's own choice of NLU files, as `rasa train` makes it (a folder may also hold notes: *.md)
    everything = training_data_from_paths(get_data_files([str(data)], is_nlu_file), "zh")
    examples = everything.intent_examples
    labels = [example.get_full_intent() for example in examples]
    splits = StratifiedKFold(folds, shuffle=True, random_state=SEED).split(examples, labels)
    train_index, test_index = list(splits)[fold]
    paths = []
    for name, index in (("train", train_index), ("test", test_index)):
        part = TrainingData(training_examples=[examples[i] for i in index], entity_synonyms=everything.entity_synonyms,
                            regex_features=everything.regex_features, lookup_tables=everything.lookup_tables,
                            responses=everything.responses)
        path = work / f"fold{fold}-{name}.yml"
        RasaYAMLWriter().dump(str(path), part)
        paths.append(path)
    return paths[0], paths[1]


def confusion_of(out: Path) -> Confusion:
    """Gold and predicted intent of every test message, from a ``rasa test nlu --successes`` run."""
    counts: Confusion = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for result in json.loads(path.read_text()) if path.exists() else []:
            predicted = (result.get("intent_prediction") or {}).get("name") or "None"
            gold = counts.setdefault(result["intent"], {})
            gold[predicted] = gold.get(predicted, 0) + 1
    return counts


def pooled(confusions: List[Confusion]) -> Dict[str, float]:
    """Intent macro-F1 (over every label seen, as sklearn's report) and accuracy of all folds together."""
    pairs: Counter = Counter()
    for confusion in confusions:
        for gold, predicted in confusion.items():
            for label, count in predicted.items():
                pairs[(gold, label)] += count
    gold_labels = [gold for (gold, _), count in pairs.items() for _ in range(count)]
    predicted_labels = [label for (_, label), count in pairs.items() for _ in range(count)]
    return {"macro_f1": float(f1_score(gold_labels, predicted_labels, average="macro", zero_division=0)),
            "accuracy": float(accuracy_score(gold_labels, predicted_labels)), "messages": len(gold_labels)}
