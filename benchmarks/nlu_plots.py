"""The two pictures of `benchmarks/nlu_eval.py`, drawn with matplotlib (installed with Rasa).

The Agg backend draws to files only: the benchmark runs on servers without a display.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from nlu_metrics import Bin  # noqa: E402


def confusion_matrix_png(labels: Sequence[str], counts: List[List[int]], title: str, out: Path) -> Path:
    """Counts of each true intent (rows) read as each intent (columns); zeros left blank."""
    size = max(6.0, 0.55 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    image = axes.imshow(counts, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted intent")
    axes.set_ylabel("true intent")
    axes.set_title(title)
    top = max(max(row) for row in counts) if counts else 0
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            if count:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=8,
                          color="white" if count > top / 2 else "black")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
    return out


def reliability_png(bins: Sequence[Bin], ece: float, title: str, out: Path) -> Path:
    """Accuracy against confidence per bin (a calibrated model sits on the diagonal), with how
    many messages each bin holds below."""
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    width = bins[0].upper - bins[0].lower if bins else 1.0
    filled = [b for b in bins if b.count]
    top.bar([b.lower for b in filled], [b.accuracy for b in filled], width=width, align="edge",
            edgecolor="black", label="accuracy")
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    top.plot([b.confidence for b in filled], [b.accuracy for b in filled], "o", color="red", label="mean confidence")
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.set_title(f"{title} (ECE {ece:.3f}, {len(bins)} bins)")
    top.legend(loc="upper left")
    bottom.bar([b.lower for b in bins], [b.count for b in bins], width=width, align="edge", edgecolor="black")
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("top-1 confidence")
    bottom.set_ylabel("messages")
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
    return out
