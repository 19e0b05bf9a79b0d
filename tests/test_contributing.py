"""CONTRIBUTING.md's map of the house points at files and equation labels that exist, and names
every recurrent model the package exports, so a renamed file or chapter breaks this test instead
of the map."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lstm_course.nn

ROOT = Path(__file__).resolve().parents[1]
MAP = (ROOT / "CONTRIBUTING.md").read_text()
ROWS = [line for line in MAP.splitlines() if line.startswith("| ") and not line.startswith("| Model")]
PATHS = sorted(set(re.findall(r"`((?:book|lstm_course|tests|exercises)/[\w/.-]+?)(?:#([\w-]+))?`", MAP)))
# Classes that are models rather than their parts (attention scores, decoders' results, heads over a
# recurrent layer the table already lists).
NOT_MODELS = {"Decoded", "SequenceClassifier", "SequenceTagger", "LanguageModel", "Forecaster",
              "AdditiveAttention", "MultiplicativeAttention", "Seq2Seq"}


def labels(page: Path) -> set[str]:
    text = page.read_text()
    return set(re.findall(r"^\$\$ \(([\w-]+)\)$", text, re.M)) | set(re.findall(r"^\(([\w-]+)\)=$", text, re.M))


def test_the_map_has_a_row_per_model_and_names_files():
    assert len(ROWS) >= 10
    assert len(PATHS) >= 40


@pytest.mark.parametrize("path,label", PATHS, ids=[p + ("#" + l if l else "") for p, l in PATHS])
def test_every_path_and_label_exists(path, label):
    exists = (ROOT / path).is_dir() if path.endswith("/") else (ROOT / path).is_file()
    assert exists, f"CONTRIBUTING.md names {path}, which does not exist"
    if path.startswith("book/"):
        assert f"file: {path[:-3]}\n" in (ROOT / "_toc.yml").read_text(), f"{path} is not in _toc.yml"
        if label:
            assert label in labels(ROOT / path), f"{path} has no label {label}"


@pytest.mark.parametrize("name", sorted(n for n in lstm_course.nn.__all__
                                        if isinstance(getattr(lstm_course.nn, n), type) and n not in NOT_MODELS))
def test_every_exported_model_has_a_row(name):
    assert any(f"`{name}`" in row or f"`{name}(" in row for row in ROWS), f"CONTRIBUTING.md has no row for {name}"
