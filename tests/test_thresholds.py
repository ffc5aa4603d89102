"""The thresholds in config.yml are the ones the NLU evaluation recommends (issue 11, point 6):
``benchmarks/nlu_eval.py`` records its recommendations in docs/nlu/nlu_eval.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "docs" / "nlu" / "nlu_eval.json"


def _component(name: str) -> Dict[str, Any]:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    return next(c for c in pipeline if c["name"].endswith(name))


@pytest.fixture(scope="module")
def ours() -> Dict[str, Any]:
    return json.loads(RECORDED.read_text())["pipelines"]["ours"]


def test_the_fallback_threshold_is_the_recommended_one(ours):
    assert _component("FallbackClassifier")["threshold"] == pytest.approx(ours["recommended_fallback_threshold"])
    assert ours["fallback_threshold"] == pytest.approx(_component("FallbackClassifier")["threshold"])


def test_the_domain_gate_threshold_is_the_recommended_one(ours):
    assert _component("DomainGate")["threshold"] == pytest.approx(ours["recommended_gate_threshold"])
    assert ours["gate_threshold"] == pytest.approx(_component("DomainGate")["threshold"])
