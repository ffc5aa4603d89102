"""``govbot train``: trains a Rasa model only when the data, domain or config changed."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List

from govbot.settings import MODELS_DIR, ROOT

MODEL_NAME = "govbot"
TRAINING_INPUTS = ("config.yml", "bot", "nlu_data")
FINGERPRINT = MODELS_DIR / f"{MODEL_NAME}.fingerprint"


def fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _input_files(root: Path) -> List[Path]:
    files: List[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        files.extend([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".txt")))
    return files


def rasa_train_command(out: Path, name: str, extra_args: Iterable[str] = (), config: str = "config.yml") -> List[str]:
    """``rasa train`` on the inputs (relative to the working directory) into ``out/name.tar.gz``."""
    return [str(Path(sys.executable).parent / "rasa"), "train", "--config", config,
            "--domain", "bot/domain", "--data", "nlu_data", "bot/data",
            "--out", str(out), "--fixed-model-name", name, *extra_args]


def train(force: bool = False, extra_args: Iterable[str] = ()) -> int:
    current = fingerprint()
    model = MODELS_DIR / f"{MODEL_NAME}.tar.gz"
    if not force and model.exists() and FINGERPRINT.exists() and FINGERPRINT.read_text() == current:
        print(f"Model {model.relative_to(ROOT)} is up to date; nothing to train.")
        return 0
    result = subprocess.run(rasa_train_command(MODELS_DIR, MODEL_NAME, extra_args), cwd=ROOT)
    if result.returncode == 0:
        FINGERPRINT.write_text(current)
    return result.returncode
