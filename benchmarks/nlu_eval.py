"""NLU quality: our pipeline (config.yml) against Rasa's stock pipeline, side by side.

For each pipeline: train on nlu_data/, evaluate on the held-out file tests/nlu/heldout.yml
(never used for training) and print intent macro-F1 and entity micro-F1; then a 5-fold
cross-validation on nlu_data/ (intent macro-F1). Target (issue #3): held-out intent
macro-F1 >= 0.95 and above the baseline.

    .venv/bin/python benchmarks/nlu_eval.py [--folds 5] [--skip-cv]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Optional

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
PIPELINES = {"ours (config.yml)": ROOT / "config.yml", "baseline (rasa init + jieba)": ROOT / "benchmarks" / "baseline_config.yml"}


def rasa(*args: str) -> None:
    result = subprocess.run([RASA, *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"rasa {args[0]} {args[1]} failed")


def macro_f1(report_file: Path) -> float:
    return json.loads(report_file.read_text())["macro avg"]["f1-score"]


def entity_f1(out: Path) -> Optional[float]:
    """Micro-F1 over entity types of the learned extractor (DIET), `no_entity` left out."""
    report = out / "DIETClassifier_report.json"
    if not report.exists():
        return None
    data = json.loads(report.read_text())
    return data.get("micro avg", {}).get("f1-score")


def held_out(config: Path, work: Path) -> Dict[str, Optional[float]]:
    rasa("train", "nlu", "--config", str(config), "--nlu", "nlu_data", "--out", str(work / "model"),
         "--fixed-model-name", "eval")
    out = work / "heldout"
    rasa("test", "nlu", "--model", str(work / "model" / "eval.tar.gz"), "--nlu", str(HELDOUT),
         "--out", str(out), "--no-plot", "--config", str(config))
    return {"intent": macro_f1(out / "intent_report.json"), "entity": entity_f1(out)}


def cross_validation(config: Path, work: Path, folds: int) -> float:
    out = work / "cv"
    rasa("test", "nlu", "--nlu", "nlu_data", "--config", str(config), "--cross-validation", "--folds", str(folds),
         "--out", str(out), "--no-plot")
    return macro_f1(out / "intent_report.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true", help="held-out figures only (faster)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, config in PIPELINES.items():
            work = Path(tmp) / config.stem
            figures = held_out(config, work)
            cv = None if args.skip_cv else cross_validation(config, work, args.folds)
            rows.append((label, figures["intent"], figures["entity"], cv))
            print(f"done: {label}", file=sys.stderr)
    print(f"{'pipeline':32} {'held-out intent macro-F1':>25} {'held-out entity F1':>19} {f'{args.folds}-fold CV intent F1':>22}")
    for label, intent, entity, cv in rows:
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"{label:32} {fmt(intent):>25} {fmt(entity):>19} {fmt(cv):>22}")
    print("target: held-out intent macro-F1 >= 0.95 and above the baseline")


if __name__ == "__main__":
    main()
