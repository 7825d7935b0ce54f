"""Helpers shared by the tests: where the real-world corpus is, and the test profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The shared corpus of real files, next to the project (absent for a plain clone).
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
if "STATUSKIT_CORPUS" in os.environ:
    CORPUS = Path(os.environ["STATUSKIT_CORPUS"])


def corpus_dir(name: str) -> Path:
    """A corpus folder, or skip the test cleanly when the corpus is not there."""
    folder = CORPUS / name
    if not folder.is_dir():
        pytest.skip(f"corpus folder {folder} not present")
    return folder


def corpus_files(name: str, pattern: str) -> list[Path]:
    """Corpus files for parametrization (empty when the corpus is absent)."""
    folder = CORPUS / name
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


FULL = os.environ.get("STATUSKIT_FULL") == "1"
