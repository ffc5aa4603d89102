"""The benchmarks run (with small numbers here), so the figures in the issue notes can be reproduced."""
from __future__ import annotations

import json
import subprocess
import sys

from govbot.settings import ROOT


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
