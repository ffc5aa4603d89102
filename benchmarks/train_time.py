"""Training time: a whole `govbot train` from scratch, beside another revision on the same machine.

Issue 11 wants training no longer than before its out-of-domain work (about five minutes on two
cores then). Machines and even days differ (this one has run the same training in 8 and in 13
minutes), so the fair figure is both trainings on one machine, one after the other: this script
trains the working tree's config.yml, bot/ and nlu_data/ and, with --against REV, the same three
as git revision REV had them, each in a temporary folder with Rasa's training cache off
(models/ is left alone), and prints the wall-clock seconds of each and their ratio.

    .venv/bin/python benchmarks/train_time.py [--against REV]

REV 0cf33f5 is the last commit before issue 11's work (its pipeline and data).
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govbot.train import TRAINING_INPUTS, rasa_train_command  # noqa: E402


def from_working_tree(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in TRAINING_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copy2(source, folder / name)


def from_revision(revision: str, folder: Path) -> None:
    archive = subprocess.run(["git", "archive", "--format=tar", revision, *TRAINING_INPUTS],
                             cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder)  # nosec B202: our own repository's archive


def seconds_to_train(folder: Path) -> float:
    """Wall-clock seconds of ``rasa train`` in ``folder`` with the training cache off."""
    env = {**os.environ, "RASA_MAX_CACHE_SIZE": "0", "RASA_TELEMETRY_ENABLED": "false"}
    start = time.monotonic()
    subprocess.run(rasa_train_command(folder / "models", "timed"), cwd=folder, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def timed(label: str, fill: Callable[[Path], None]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        fill(Path(tmp))
        seconds = seconds_to_train(Path(tmp))
    print(f"{label}: training took {seconds:.0f} s ({seconds / 60:.1f} min)", flush=True)
    return seconds


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REV", help="also time the pipeline and data of this git revision")
    args = parser.parse_args(argv)
    reference = timed(f"revision {args.against}", lambda d: from_revision(args.against, d)) if args.against else None
    current = timed("working tree", from_working_tree)
    if reference:
        print(f"working tree / revision {args.against}: {current / reference:.2f}")


if __name__ == "__main__":
    main()
