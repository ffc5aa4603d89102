"""NLU quality: our pipeline (config.yml) against Rasa's stock pipeline, side by side.

Held-out figures score exactly what ships: "ours" is the model `make train` builds
(models/govbot.tar.gz, retrained here only when data or config changed), scored through
`govbot-rasa` as it is served (homophone correction, intent guard); the baseline is trained the
same way (`rasa train` on domain, NLU data and dialogue data) with only the NLU pipeline swapped,
and scored with plain `rasa`. Every figure comes from `rasa test nlu` runs (issue 11, point 4):

* held-out (tests/nlu/heldout.yml, never used for training): intent macro-F1 and accuracy;
  expected calibration error (15 equal-width bins, top-1 confidence against correctness) and a
  reliability diagram; a confusion matrix; entity F1 per entity type (the pipeline's best
  extractor for it) and each extractor's micro-F1;
* the same messages in traditional characters (as phones in Hong Kong and Taiwan, and many
  elderly people's, type them), which no training example uses: intent macro-F1;
* out of domain: for each public corpus tests/nlu/ood/*.yml (intent out_of_scope), the share of
  messages taken for a government intent (govbot/intents.py) past the FallbackClassifier at the
  config's threshold; an upper bound, since the ambiguity rule cannot be replayed
  (benchmarks/nlu_metrics.py says why);
* the fallback threshold to use: the one that takes the fewest out-of-domain messages for
  government ones while rejecting at most 1 % of the held-out government messages read right
  (`recommended_fallback_threshold`; of equally good ones, `recommended_range`, the nearest to
  config.yml's, which is then itself the recommendation when it is among the best);
* with --numbers (issue 10, point 11): accuracy on tests/nlu/heldout_numbers.yml, messages that
  ask for something and carry a number; the misread messages are listed;
* unless --skip-cv: k-fold cross-validation on nlu_data/ (intent macro-F1): about 40 minutes for
  ours, two hours for the baseline on two cores; --cv-only runs only that. It goes fold by fold and
  keeps each scored fold with the figures: an interrupted run goes on where it stopped
  (benchmarks/nlu_folds.py).

Each pipeline's figures carry the fingerprint of their inputs (training data, domain, the
pipeline's config, tests/nlu/); a later run into the same --out keeps the figures whose inputs are
unchanged, so the baseline and the cross-validation can run on their own (--skip-ours, --cv-only).

Targets (issue 11): held-out intent macro-F1 >= 0.97, ECE <= 0.05, out-of-domain rate <= 5 % on
each corpus, numbers slice >= 0.95. The table is printed and written with the figures to --out
(default docs/nlu/, committed but for runs/): nlu_eval.json, nlu_eval.md,
confusion_<pipeline>.png, reliability_<pipeline>.png, and each `rasa test nlu` output in runs/.

    .venv/bin/python benchmarks/nlu_eval.py [--folds 5] [--skip-cv | --cv-only] [--skip-baseline]
        [--skip-ours] [--numbers] [--heldout FILE] [--ood DIR] [--out DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional

import yaml
from opencc import OpenCC
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # also when the tests load this file by its path

import nlu_folds as folds_lib  # noqa: E402
import nlu_metrics as metrics  # noqa: E402
import nlu_plots  # noqa: E402

from govbot.domain_gate import WEIGHTS_FILE, Gate  # noqa: E402
from govbot.intents import GOVERNMENT_INTENTS  # noqa: E402
from govbot.settings import MODELS_DIR  # noqa: E402
from govbot.train import MODEL_NAME, fingerprint, rasa_train_command, train  # noqa: E402

RASA = str(Path(sys.executable).parent / "rasa")
# Ours is scored as it is served: `govbot-rasa` parses with the homophone correction and the intent
# guard (govbot/rasa_server.py); the stock baseline with plain `rasa`.
SERVED = str(Path(sys.executable).parent / "govbot-rasa")
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
NUMBERS = ROOT / "tests" / "nlu" / "heldout_numbers.yml"
OOD = ROOT / "tests" / "nlu" / "ood"
OUT = ROOT / "docs" / "nlu"
OURS = ROOT / "config.yml"
BASELINE = ROOT / "benchmarks" / "baseline_config.yml"
TO_TRADITIONAL = OpenCC("s2t")
SENTINEL = "nlu_eval_sentinel"  # the label of the one message added to an out-of-domain corpus
DEFAULT_FALLBACK_THRESHOLD = 0.3  # FallbackClassifier's own default
MAX_RECALL_LOSS = 0.01
Predictions = List[metrics.Prediction]
LABELS = {"ours": "ours (config.yml)", "baseline": "baseline (rasa init + jieba)"}
CONFIGS = {"ours": OURS, "baseline": BASELINE}
TARGETS = {"heldout_intent_macro_f1": ">= 0.97", "ece": "<= 0.05", "ood_rate": "<= 0.05", "numbers_accuracy": ">= 0.95"}


class Pipeline(NamedTuple):
    key: str  # ours | baseline: names the pictures and the JSON entry
    label: str
    model: Path
    config: Path
    binary: str


def rasa(*args: str, binary: str = RASA) -> None:
    result = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"rasa {args[0]} {args[1]} failed")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def shipped_model(work: Path) -> Path:
    """The model `make train` builds (trained now only if data, domain or config changed), copied into
    ``work``: a retraining during the run then cannot swap the model under it."""
    if train() != 0:
        raise SystemExit("govbot train failed")
    return Path(shutil.copy2(MODELS_DIR / f"{MODEL_NAME}.tar.gz", work / "ours.tar.gz"))


def baseline_model(work: Path) -> Path:
    """The baseline pipeline with our policies, trained exactly as `govbot train` trains ours."""
    config = yaml.safe_load(BASELINE.read_text())
    config["policies"] = yaml.safe_load(OURS.read_text())["policies"]
    config_file = work / "baseline_config.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True))
    rasa(*rasa_train_command(work, "baseline", config=str(config_file))[1:])
    return work / "baseline.tar.gz"


def fallback_threshold(config: Path) -> float:
    """The FallbackClassifier threshold of a pipeline; 0 (nothing rejected) without one."""
    for component in yaml.safe_load(config.read_text()).get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_FALLBACK_THRESHOLD))
    return 0.0


def gate_threshold(config: Path) -> Optional[float]:
    """The DomainGate threshold of a pipeline; None without a gate."""
    for component in yaml.safe_load(config.read_text()).get("pipeline", []):
        if component.get("name", "").endswith("DomainGate"):
            return float(component["threshold"])
    return None


def trained_gate(model: Path) -> Optional[Gate]:
    """The domain gate's weights as the model stores them (JSON inside the archive)."""
    with tarfile.open(model) as archive:
        member = next((m for m in archive.getmembers() if m.name.endswith(WEIGHTS_FILE)), None)
        stored = archive.extractfile(member) if member else None
        return Gate.from_json(json.load(stored)) if stored else None


def gate_figures(pipeline: Pipeline, heldout: Predictions) -> Dict[str, Any]:
    """The gate's threshold and the one to use: the highest that turns away at most 1 % of the
    held-out government messages (decided without the out-of-domain corpora)."""
    current, gate = gate_threshold(pipeline.config), trained_gate(pipeline.model)
    if current is None or gate is None:
        return {}
    probabilities = [gate.government(p.text) for p in heldout if p.target in GOVERNMENT_INTENTS]
    return {"gate_threshold": current,
            "recommended_gate_threshold": metrics.highest_threshold_within(probabilities, MAX_RECALL_LOSS)}


def rasa_test_nlu(pipeline: Pipeline, nlu: Path, out: Path) -> Path:
    """One `rasa test nlu` run; every message's prediction is written (successes and errors).
    The folder is emptied first: a file an earlier run left (errors it no longer makes) would count."""
    shutil.rmtree(out, ignore_errors=True)
    rasa("test", "nlu", "--model", str(pipeline.model), "--nlu", str(nlu), "--out", str(out), "--successes",
         "--no-plot", binary=pipeline.binary)
    return out


def intent_report(out: Path) -> Dict[str, Any]:
    return json.loads((out / "intent_report.json").read_text())


def entity_figures(out: Path) -> Dict[str, Any]:
    """Per extractor its report's per-entity F1 and micro-F1; per entity the best extractor."""
    extractors = {path.name.removesuffix("_report.json"): metrics.entity_scores(json.loads(path.read_text()))
                  for path in sorted(out.glob("*_report.json")) if path.name != "intent_report.json"}
    return {"by_extractor": extractors, "best": metrics.best_entity_f1(extractors)}


def write_nlu(blocks: Dict[str, List[str]], out: Path) -> Path:
    """Rasa NLU YAML of plain messages (no entities), intent by intent."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump({"version": "3.1", "nlu": [
        {"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)} for intent, texts in blocks.items()]},
        allow_unicode=True, sort_keys=False))
    return out


def in_traditional_characters(heldout: Path, out: Path) -> Path:
    """The held-out messages in traditional script (OpenCC, phrase by phrase), same intents."""
    blocks: Dict[str, List[str]] = {}
    for message in load_data(str(heldout)).intent_examples:
        blocks.setdefault(message.get("intent"), []).append(TO_TRADITIONAL.convert(message.get("text")))
    return write_nlu(blocks, out)


def with_sentinel(corpus: Path, out: Path) -> Path:
    """An out-of-domain corpus that `rasa test nlu` scores: it evaluates intents only when the
    file has two labels or more (rasa/nlu/test.py, ``should_eval_intents``), and a corpus has
    one. One message of another label is added; its prediction is dropped (``SENTINEL``)."""
    texts = [message.get("text") for message in load_data(str(corpus)).intent_examples]
    return write_nlu({"out_of_scope": texts, SENTINEL: ["你好"]}, out)


def held_out(pipeline: Pipeline, heldout: Path, work: Path, out: Path) -> tuple[Dict[str, Any], Predictions]:
    """Held-out intent and entity figures, calibration, and the two pictures."""
    run = rasa_test_nlu(pipeline, heldout, work / f"{pipeline.key}-heldout")
    predictions = metrics.load_predictions(run)
    report = intent_report(run)
    ece = metrics.expected_calibration_error(predictions)
    nlu_plots.confusion_matrix_png(*metrics.confusion(predictions), f"{pipeline.label}: {shown(heldout)}",
                                   out / f"confusion_{pipeline.key}.png")
    nlu_plots.reliability_png(metrics.reliability_bins(predictions), ece, f"{pipeline.label}: {shown(heldout)}",
                              out / f"reliability_{pipeline.key}.png")
    return {"heldout_intent_macro_f1": report["macro avg"]["f1-score"], "heldout_intent_accuracy": report["accuracy"],
            "ece": ece, "entities": entity_figures(run), "messages": len(predictions)}, predictions


def traditional(pipeline: Pipeline, heldout: Path, work: Path) -> float:
    file = in_traditional_characters(heldout, work / "heldout_traditional.yml")
    return intent_report(rasa_test_nlu(pipeline, file, work / f"{pipeline.key}-traditional"))["macro avg"]["f1-score"]


def numbers_slice(pipeline: Pipeline, work: Path) -> float:
    """Intent accuracy on the numbers slice; the misread messages are printed so they can be fixed."""
    predictions = metrics.load_predictions(rasa_test_nlu(pipeline, NUMBERS, work / f"{pipeline.key}-numbers"))
    for p in predictions:
        if not p.correct:
            print(f"  numbers slice ({pipeline.key}): {p.text!r} {p.target} -> {p.predicted}")
    return metrics.accuracy(predictions)


def out_of_domain(pipeline: Pipeline, corpora: List[Path], work: Path) -> Dict[str, Predictions]:
    """Every message of each corpus, read by the pipeline (all count as out of domain)."""
    scored = {}
    for corpus in corpora:
        run = work / f"{pipeline.key}-ood-{corpus.stem}"
        scorable = with_sentinel(corpus, work / f"{run.name}.yml")
        predictions = metrics.load_predictions(rasa_test_nlu(pipeline, scorable, run))
        scored[corpus.stem] = [p for p in predictions if p.target != SENTINEL]
        if not scored[corpus.stem]:
            raise SystemExit(f"{shown(corpus)}: no message was scored")
    return scored


def ood_figures(ood: Dict[str, Predictions], threshold: float) -> Dict[str, Any]:
    """Per corpus: the rate, what each intent took, and the messages taken for government ones."""
    return {name: {"messages": len(predictions),
                   "rate": metrics.ood_rate(predictions, GOVERNMENT_INTENTS, threshold),
                   "accepted_by_intent": metrics.accepted_by_intent(predictions, threshold),
                   "taken_for_government": [f"{p.text} -> {p.predicted} {p.confidence:.2f}" for p in predictions
                                            if p.predicted in GOVERNMENT_INTENTS and metrics.accepted(p, threshold)]}
            for name, predictions in ood.items()}


def recommendation(heldout: Predictions, ood: Dict[str, Predictions],
                   threshold: float) -> Dict[str, Any]:
    found = metrics.recommend_threshold(heldout, ood, GOVERNMENT_INTENTS, threshold, MAX_RECALL_LOSS)
    if found is None:
        return {"recommended_fallback_threshold": None}
    return {"recommended_fallback_threshold": found.threshold, "recommended_ood_rates": found.ood_rates,
            "recommended_recall_loss": found.recall_loss,
            "recommended_range": [found.lowest, found.highest]}


def evaluate(pipeline: Pipeline, args: argparse.Namespace, corpora: List[Path], work: Path) -> Dict[str, Any]:
    """Every figure of one pipeline but cross-validation; each `rasa test nlu` output stays in
    ``work`` (--out/runs/), where the misread messages can be looked up."""
    figures, predictions = held_out(pipeline, args.heldout, work, args.out)
    print(f"{pipeline.label}: held-out intent macro-F1 {figures['heldout_intent_macro_f1']:.3f}, accuracy "
          f"{figures['heldout_intent_accuracy']:.3f}, ECE {figures['ece']:.3f}", flush=True)
    figures["traditional_intent_macro_f1"] = traditional(pipeline, args.heldout, work)
    if args.numbers:
        figures["numbers_accuracy"] = numbers_slice(pipeline, work)
        print(f"{pipeline.label}: numbers slice intent accuracy {figures['numbers_accuracy']:.3f}", flush=True)
    threshold = fallback_threshold(pipeline.config)
    ood = out_of_domain(pipeline, corpora, work)
    figures.update(fallback_threshold=threshold, ood=ood_figures(ood, threshold),
                   **recommendation(predictions, ood, threshold), **gate_figures(pipeline, predictions))
    for name, corpus in figures["ood"].items():
        print(f"{pipeline.label}: out of domain {name}: {corpus['rate']:.3f} of {corpus['messages']} taken for "
              f"government at threshold {threshold}", flush=True)
    return figures


def table_rows(results: Dict[str, Dict[str, Any]], folds: int) -> List[metrics.Row]:
    """The Markdown table's lines: the figures both pipelines have, then the ones either has."""
    def row(name: str, get, target: str = "") -> metrics.Row:
        return metrics.Row(name, {key: get(figures) for key, figures in results.items()}, target)

    rows = [row("held-out intent macro-F1", lambda f: f.get("heldout_intent_macro_f1"),
                TARGETS["heldout_intent_macro_f1"]),
            row("held-out intent accuracy", lambda f: f.get("heldout_intent_accuracy")),
            row(f"expected calibration error ({metrics.ECE_BINS} bins)", lambda f: f.get("ece"), TARGETS["ece"]),
            row("traditional-script intent macro-F1", lambda f: f.get("traditional_intent_macro_f1")),
            row("numbers slice intent accuracy", lambda f: f.get("numbers_accuracy"), TARGETS["numbers_accuracy"])]
    for corpus in sorted({name for f in results.values() for name in f.get("ood", {})}):
        rows.append(row(f"out-of-domain rate: {corpus}",
                        lambda f, corpus=corpus: f["ood"].get(corpus, {}).get("rate"), TARGETS["ood_rate"]))
    entities = {key: f.get("entities", {"by_extractor": {}, "best": {}}) for key, f in results.items()}
    for extractor in sorted({name for e in entities.values() for name in e["by_extractor"]}):
        rows.append(row(f"entity micro-F1 ({extractor})",
                        lambda f, extractor=extractor: (f.get("entities", {}).get("by_extractor", {})
                                                        .get(extractor, {}).get("micro avg", {}).get("f1"))))
    for entity in sorted({name for e in entities.values() for name in e["best"]}):
        rows.append(row(f"entity F1: {entity} (best extractor)",
                        lambda f, entity=entity: f.get("entities", {}).get("best", {}).get(entity, {}).get("f1")))
    rows += [row("fallback threshold (config)", lambda f: f.get("fallback_threshold")),
             row(f"recommended fallback threshold (recall loss <= {MAX_RECALL_LOSS:.0%})",
                 lambda f: f.get("recommended_fallback_threshold")),
             row("equally good thresholds from", lambda f: (f.get("recommended_range") or [None])[0]),
             row("equally good thresholds up to", lambda f: (f.get("recommended_range") or [None])[-1]),
             row("domain gate threshold (config)", lambda f: f.get("gate_threshold")),
             row(f"recommended domain gate threshold (government loss <= {MAX_RECALL_LOSS:.0%})",
                 lambda f: f.get("recommended_gate_threshold")),
             row(f"{folds}-fold CV intent macro-F1", lambda f: f.get("cv_intent_macro_f1")),
             row(f"{folds}-fold CV intent accuracy", lambda f: f.get("cv_intent_accuracy")),
             row("CV folds scored so far", lambda f: len(f["cv_folds"]) if "cv_folds" in f else None)]
    return [r for r in rows if any(v is not None for v in r.values.values())]


def report(results: Dict[str, Dict[str, Any]], args: argparse.Namespace, corpora: List[Path]) -> None:
    """Prints the table and writes it with every figure to --out (again after cross-validation)."""
    labels = {key: LABELS[key] for key in results}
    header = (f"held-out: {shown(args.heldout)}; out of domain: {', '.join(map(shown, corpora)) or 'none'}\n\n"
              f"pipelines: {'; '.join(f'{key} = {label}' for key, label in labels.items())}\n\n")
    table = header + metrics.markdown_table(table_rows(results, args.folds), list(results))
    print(table, flush=True)
    (args.out / "nlu_eval.md").write_text(table)
    ours = results.get("ours", {})
    (args.out / "nlu_eval.json").write_text(json.dumps({
        "heldout": shown(args.heldout), "ood_corpora": [shown(c) for c in corpora],
        "government_intents": sorted(GOVERNMENT_INTENTS), "targets": TARGETS, "labels": labels,
        "recommended_fallback_threshold": ours.get("recommended_fallback_threshold"),
        "recommended_gate_threshold": ours.get("recommended_gate_threshold"),
        "pipelines": results}, ensure_ascii=False, indent=2))


def cross_validation(key: str, results: Dict[str, Dict[str, Any]], folds: int, out: Path,
                     save: Callable[[], None]) -> None:
    """k-fold cross-validation of one pipeline, fold by fold: the folds already in ``results`` (same
    inputs, same k) are kept, each new fold is saved as soon as it is scored (``save``), and the
    pooled figures are set once every fold is in (benchmarks/nlu_folds.py)."""
    figures = results.setdefault(key, {"inputs": inputs_fingerprint(CONFIGS[key])})
    if figures.get("cv_folds_of") != folds:
        figures.update(cv_folds_of=folds, cv_folds={})
    for fold in range(folds):
        if str(fold) in figures["cv_folds"]:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            train, test = folds_lib.fold_files(ROOT / "nlu_data", folds, fold, Path(tmp))
            rasa("train", "nlu", "--config", str(CONFIGS[key]), "--nlu", str(train), "--out", tmp,
                 "--fixed-model-name", "fold")
            scored = out / f"fold{fold}"
            rasa("test", "nlu", "--nlu", str(test), "-m", str(Path(tmp) / "fold.tar.gz"), "--out", str(scored),
                 "--successes", "--no-plot")
        figures["cv_folds"][str(fold)] = folds_lib.confusion_of(scored)
        print(f"{key}: fold {fold + 1} of {folds} scored", flush=True)
        save()
    scores = folds_lib.pooled(list(figures["cv_folds"].values()))
    figures.update(cv_intent_macro_f1=scores["macro_f1"], cv_intent_accuracy=scores["accuracy"])
    save()


def inputs_fingerprint(config: Path) -> str:
    """What a pipeline's figures hold for: training data and domain, its config, the test files."""
    digest = hashlib.sha256(fingerprint().encode())
    for path in [config, *sorted((ROOT / "tests" / "nlu").rglob("*.yml"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def earlier_figures(args: argparse.Namespace) -> Dict[str, Dict[str, Any]]:
    """The figures in --out that still hold (same inputs), so a long part (the baseline, cross-
    validation) can run on another day than the rest; none for other test files than the default."""
    if (args.heldout, args.ood) != (HELDOUT, OOD):
        return {}
    try:
        pipelines = json.loads((args.out / "nlu_eval.json").read_text())["pipelines"]
    except (FileNotFoundError, KeyError, ValueError):
        return {}
    return {key: figures for key, figures in pipelines.items()
            if key in CONFIGS and figures.get("inputs") == inputs_fingerprint(CONFIGS[key])}


def selected(args: argparse.Namespace) -> List[str]:
    return [key for key in CONFIGS if not getattr(args, f"skip_{key}")]


def trained(key: str, work: Path) -> Pipeline:
    if key == "ours":
        return Pipeline(key, LABELS[key], shipped_model(work), OURS, SERVED)
    return Pipeline(key, LABELS[key], baseline_model(work), BASELINE, RASA)


def in_order(results: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {key: results[key] for key in CONFIGS if key in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true", help="held-out figures only (faster)")
    parser.add_argument("--cv-only", action="store_true", help="cross-validation only; the other figures kept")
    parser.add_argument("--skip-baseline", action="store_true", help="our pipeline only (no second training)")
    parser.add_argument("--skip-ours", action="store_true", help="the baseline only")
    parser.add_argument("--numbers", action="store_true", help="also score the numbers slice (heldout_numbers.yml)")
    parser.add_argument("--heldout", type=Path, default=HELDOUT, help="another unseen test file to score on")
    parser.add_argument("--ood", type=Path, default=OOD, help="folder of out-of-domain corpora (*.yml)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the JSON, Markdown and pictures go")
    args = parser.parse_args()
    if args.cv_only and args.skip_cv:
        parser.error("--cv-only and --skip-cv leave nothing to do")
    args.out.mkdir(parents=True, exist_ok=True)
    corpora = sorted(args.ood.glob("*.yml"))
    results = earlier_figures(args)
    runs = args.out / "runs"
    runs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.cv_only:
            for pipeline in [trained(key, Path(tmp)) for key in selected(args)]:
                fresh = {**evaluate(pipeline, args, corpora, runs), "inputs": inputs_fingerprint(pipeline.config)}
                results[pipeline.key] = {**results.get(pipeline.key, {}), **fresh}
            report(in_order(results), args, corpora)
    if not args.skip_cv:
        for key in selected(args):
            cross_validation(key, results, args.folds, runs / f"{key}-cv",
                             lambda: report(in_order(results), args, corpora))


if __name__ == "__main__":
    main()
