"""The benchmarks run (with small numbers here), so the figures in the issue notes can be reproduced."""
from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from govbot.settings import ROOT


@pytest.mark.slow  # starts the assistant's servers
def test_wechat_load_benchmark_measures_both_channels(tmp_path):
    out = tmp_path / "figures.json"
    result = subprocess.run([sys.executable, "benchmarks/wechat_load.py", "--users", "4", "--rounds", "1",
                             "--think", "0.01", "--typing", "0", "0", "--aes", "--json", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text())
    for channel in ("rest", "wechat"):
        assert figures["results"][channel]["messages"] > 0 and figures["results"][channel]["lost"] == 0
    assert "webhook p50 / REST p50" in result.stdout


@pytest.mark.slow  # starts the fake WeChat API, the channel and the staff console
def test_handoff_benchmark_times_both_paths_through_the_console(tmp_path):
    out = tmp_path / "figures.json"
    result = subprocess.run([sys.executable, "benchmarks/handoff.py", "--samples", "4", "--staff", "2",
                             "--waiting", "3", "--claims", "1", "--think", "0", "--json", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["scale"]["conversations_waiting"] == 3 and figures["scale"]["event_streams_open"] == 2
    for path in ("citizen_to_console", "staff_reply_to_wechat"):
        assert figures["results"][path]["samples"] == 4 and figures["results"][path]["missed"] == 0
    assert "staff reply click -> WeChat API" in result.stdout


def load_benchmark(name: str):
    """benchmarks/<name>.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_nlu_eval():
    return load_benchmark("nlu_eval")


def test_nlu_eval_scores_the_held_out_messages_also_in_traditional_characters(tmp_path):
    nlu_eval = load_nlu_eval()
    original = load_data(str(nlu_eval.HELDOUT)).intent_examples
    converted = load_data(str(nlu_eval.in_traditional_characters(nlu_eval.HELDOUT, tmp_path / "t.yml"))).intent_examples
    assert [m.get("intent") for m in converted] == [m.get("intent") for m in original]
    pairs = {m.get("text"): c.get("text") for m, c in zip(original, converted, strict=True)}
    assert any("預約" in c for c in pairs.values()) and not any("预约" in c for c in pairs.values())
    assert sum(o != c for o, c in pairs.items()) > len(pairs) / 2


def test_nlu_eval_adds_one_sentinel_message_so_rasa_scores_an_out_of_domain_corpus(tmp_path):
    nlu_eval = load_nlu_eval()
    corpus = tmp_path / "weather.yml"
    corpus.write_text('version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples: |\n'
                      '    - 今天天气怎么样\n    - 明天下雨吗\n')
    examples = load_data(str(nlu_eval.with_sentinel(corpus, tmp_path / "scored" / "weather.yml"))).intent_examples
    assert [(m.get("intent"), m.get("text")) for m in examples] == [
        ("out_of_scope", "今天天气怎么样"), ("out_of_scope", "明天下雨吗"), (nlu_eval.SENTINEL, "你好")]


def test_train_time_takes_the_training_inputs_of_a_revision_and_of_the_working_tree(tmp_path):
    train_time = load_benchmark("train_time")
    train_time.from_revision("HEAD", tmp_path / "rev")
    train_time.from_working_tree(tmp_path / "tree")
    for folder in (tmp_path / "rev", tmp_path / "tree"):
        assert (folder / "config.yml").is_file() and (folder / "bot" / "domain").is_dir()
        assert (folder / "nlu_data" / "jieba" / "userdict.txt").is_file()
        assert not (folder / "portal").exists()


TINY_CONFIG = """recipe: default.v1
language: zh
assistant_id: tiny
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
    epochs: 1
policies:
  - name: RulePolicy
"""


@pytest.mark.slow
def test_train_time_times_a_whole_training(tmp_path):
    train_time = load_benchmark("train_time")
    (tmp_path / "bot" / "domain").mkdir(parents=True)
    (tmp_path / "bot" / "data").mkdir()
    (tmp_path / "nlu_data").mkdir()
    (tmp_path / "config.yml").write_text(TINY_CONFIG)
    (tmp_path / "bot" / "domain" / "domain.yml").write_text(
        'version: "3.1"\nintents: [greet, goodbye]\nresponses:\n  utter_hi:\n  - text: 你好\n')
    (tmp_path / "bot" / "data" / "rules.yml").write_text(
        'version: "3.1"\nrules:\n- rule: hi\n  steps:\n  - intent: greet\n  - action: utter_hi\n')
    (tmp_path / "nlu_data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 你好\n    - 您好\n'
        '- intent: goodbye\n  examples: |\n    - 再见\n    - 拜拜\n')
    seconds = train_time.seconds_to_train(tmp_path)
    assert seconds > 0 and (tmp_path / "models" / "timed.tar.gz").is_file()


def test_nlu_eval_keeps_earlier_figures_only_while_their_inputs_are_unchanged(tmp_path):
    nlu_eval = load_nlu_eval()
    current = nlu_eval.inputs_fingerprint(nlu_eval.OURS)
    assert current != nlu_eval.inputs_fingerprint(nlu_eval.BASELINE)
    (tmp_path / "nlu_eval.json").write_text(json.dumps({"pipelines": {
        "ours": {"inputs": current, "cv_intent_macro_f1": 0.9},
        "baseline": {"inputs": "data of another day", "cv_intent_macro_f1": 0.8}}}))
    args = argparse.Namespace(heldout=nlu_eval.HELDOUT, ood=nlu_eval.OOD, out=tmp_path)
    assert nlu_eval.earlier_figures(args) == {"ours": {"inputs": current, "cv_intent_macro_f1": 0.9}}
    args.heldout = tmp_path / "other_heldout.yml"
    assert nlu_eval.earlier_figures(args) == {}
    args.heldout, args.out = nlu_eval.HELDOUT, tmp_path / "nothing here"
    assert nlu_eval.earlier_figures(args) == {}


SMALL_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
{greet}
- intent: goodbye
  examples: |
{goodbye}
- synonym: 身份证
  examples: |
    - 身分证
"""


def small_nlu(tmp_path):
    lines = lambda words: "\n".join(f"    - {w}" for w in words)  # noqa: E731
    path = tmp_path / "nlu.yml"
    path.write_text(SMALL_NLU.format(greet=lines([f"你好{i}" for i in range(10)]),
                                     goodbye=lines([f"再见{i}" for i in range(5)])), encoding="utf-8")
    return path


def test_folds_are_stratified_disjoint_and_the_same_in_every_sitting(tmp_path):
    folds = load_benchmark("nlu_folds")
    data = small_nlu(tmp_path)
    tests = []
    for fold in range(5):
        train, test = folds.fold_files(data, 5, fold, tmp_path)
        trained, tested = load_data(str(train)), load_data(str(test))
        assert [m.get("intent") for m in tested.intent_examples].count("greet") == 2  # 10 of 15 are greet
        assert not {m.get("text") for m in trained.intent_examples} & {m.get("text") for m in tested.intent_examples}
        assert trained.entity_synonyms == {"身分证": "身份证"}
        tests.append(test.read_text(encoding="utf-8"))
    (tmp_path / "again").mkdir()
    again = [folds.fold_files(data, 5, fold, tmp_path / "again")[1] for fold in range(5)]
    assert [test.read_text(encoding="utf-8") for test in again] == tests


def test_folds_of_a_data_folder_take_its_nlu_files_and_skip_its_notes(tmp_path):
    """nlu_data/ holds GUIDELINES.md and SOURCES.md beside the YAML, as `rasa train` allows."""
    folds = load_benchmark("nlu_folds")
    data = tmp_path / "nlu_data"
    data.mkdir()
    small_nlu(tmp_path).rename(data / "nlu.yml")
    (data / "GUIDELINES.md").write_text("# How to write examples\n", encoding="utf-8")
    (tmp_path / "work").mkdir()
    train, test = folds.fold_files(data, 5, 0, tmp_path / "work")
    assert len(load_data(str(train)).intent_examples) + len(load_data(str(test)).intent_examples) == 15


def test_pooled_scores_count_every_fold_s_predictions(tmp_path):
    folds = load_benchmark("nlu_folds")
    (tmp_path / "intent_successes.json").write_text(json.dumps(
        [{"intent": "greet", "intent_prediction": {"name": "greet"}}] * 3))
    (tmp_path / "intent_errors.json").write_text(json.dumps(
        [{"intent": "goodbye", "intent_prediction": {"name": "greet"}}]))
    first = folds.confusion_of(tmp_path)
    assert first == {"greet": {"greet": 3}, "goodbye": {"greet": 1}}
    scores = folds.pooled([first, {"goodbye": {"goodbye": 4}}])
    assert scores["messages"] == 8 and scores["accuracy"] == 7 / 8
    assert abs(scores["macro_f1"] - (6 / 7 + 8 / 9) / 2) < 1e-9  # greet P 3/4 R 1; goodbye P 1 R 4/5


def test_an_interrupted_cross_validation_goes_on_with_the_folds_it_lacks(tmp_path, monkeypatch):
    nlu_eval = load_nlu_eval()
    scored = []

    def fake_rasa(*args, binary=None):
        if args[:2] == ("test", "nlu"):
            out = Path(args[args.index("--out") + 1])
            out.mkdir(parents=True)
            (out / "intent_successes.json").write_text(json.dumps([{"intent": "greet",
                                                                     "intent_prediction": {"name": "greet"}}]))
            scored.append(out.name)

    monkeypatch.setattr(nlu_eval, "rasa", fake_rasa)
    monkeypatch.setattr(nlu_eval.folds_lib, "fold_files", lambda data, k, fold, work: (work / "a", work / "b"))
    results = {"baseline": {"inputs": "x", "cv_folds_of": 3, "cv_folds": {"0": {"greet": {"greet": 5}}}}}
    saves = []

    def save():
        saves.append(len(results["baseline"]["cv_folds"]))

    nlu_eval.cross_validation("baseline", results, 3, tmp_path, save)
    assert scored == ["fold1", "fold2"] and saves == [2, 3, 3]
    assert results["baseline"]["cv_intent_accuracy"] == 1.0 and results["baseline"]["cv_intent_macro_f1"] == 1.0
    nlu_eval.cross_validation("baseline", results, 5, tmp_path / "five", lambda: None)  # another k: all again
    assert scored[2:] == ["fold0", "fold1", "fold2", "fold3", "fold4"]
