"""Part II's "On a GPU" sections: each states what its chapter's larger config reached, as benchmarks/RESULTS.md records it.

The larger configs take minutes to an hour on a CPU, too long for CI, so `benchmarks/part2_large.py` measures them
once and RESULTS.md keeps its table; these tests hold the pages to that table, so a page cannot state a number the
run did not print, and a rerun that changes a number fails here until the page says so.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = (ROOT / "benchmarks" / "RESULTS.md").read_text()
SCRIPT = ROOT / "benchmarks" / "part2_large.py"


def _runs() -> dict:
    """The script's CHAPTERS: run name -> the page its row names, read from the source, not imported."""
    for node in ast.parse(SCRIPT.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CHAPTERS":
            return {key.value: value.elts[1].value for key, value in zip(node.value.keys, node.value.values)}
    raise AssertionError("benchmarks/part2_large.py has no CHAPTERS table")


def _gpu_rows() -> dict:
    """RESULTS.md's rows of the `--config gpu` run: page label -> value cell."""
    rows = {}
    for line in RESULTS.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1] == "gpu":
            assert cells[0] not in rows, f"two gpu rows for {cells[0]}"
            rows[cells[0]] = cells[4]
    return rows


RUNS = _runs()
ROWS = _gpu_rows()


def _section_naming_the_run(page: str) -> str:
    """The part of a page, from one `## ` heading to the next, that names the script."""
    sections = [section for section in re.split(r"\n(?=## )", page) if "part2_large.py" in section]
    assert len(sections) == 1, f"{len(sections)} sections name part2_large.py"
    return sections[0]


def _unstated(value: str, section: str) -> list:
    """The numbers of a value cell that the section does not state as they are written there."""
    numbers = re.findall(r"\d+(?:\.\d+)?%?", value)
    assert numbers, value
    return [n for n in numbers if not re.search(rf"(?<![\d.]){re.escape(n)}(?![\d%])", section)]


def test_every_chapter_of_the_script_has_a_recorded_gpu_row():
    assert set(ROWS) == set(RUNS.values())


@pytest.mark.parametrize("label", sorted(RUNS.values()))
def test_the_page_states_the_recorded_numbers_of_its_larger_config(label):
    section = _section_naming_the_run((ROOT / "book" / label.split()[0]).read_text())
    assert _unstated(ROWS[label], section) == [], label
    assert "for_gpu()" in section


def test_a_number_other_than_the_recorded_one_is_caught():
    section = "## On a GPU\n`Config.for_gpu()` reaches 71.15%, then 1.1% and 71.1 (`benchmarks/part2_large.py`)."
    assert _unstated("71.1%", section) == ["71.1%"]
    assert _unstated("0.990 (0.982, 0.999)", "F1 0.990, 0.982 for names and 0.999 for dates") == []
