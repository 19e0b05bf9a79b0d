"""The book shows every exercise notebook in its student form, with a download link."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(path.stem for path in (ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("name", EXERCISES)
def test_each_exercise_has_a_page_and_a_download_link(name):
    toc = (ROOT / "_toc.yml").read_text()
    assert f"- file: book/exercises/{name}\n" in toc, f"_toc.yml should list book/exercises/{name}"
    index = (ROOT / "book" / "exercises" / "index.md").read_text()
    assert f"{{download}}`{name}.ipynb <{name}.ipynb>`" in index, f"book/exercises/index.md should link {name}.ipynb"


def test_the_pages_are_released_by_make_and_never_committed():
    makefile = (ROOT / "Makefile").read_text()
    assert "lstm-course release $< --out book/exercises" in makefile
    assert "book/exercises/*.ipynb" in (ROOT / ".gitignore").read_text()
    assert '"book/exercises/*"' in (ROOT / "_config.yml").read_text(), "student versions must not be executed"
