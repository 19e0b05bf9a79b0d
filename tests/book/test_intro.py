"""book/intro.md: the numbered list of what the course covers names every chapter of _toc.yml, in its order."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import course_plan  # noqa: E402

INTRO = (ROOT / "book" / "intro.md").read_text()


def listed_chapters(page: str) -> list:
    """The chapters the numbered list of "What the course covers" links to, in the order it links them."""
    section = page.split("## What the course covers", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^\d+\. .*?(?=^\d+\. |^\S|\Z)", section, flags=re.M | re.S)
    return [f"book/{name}" for item in items for name in re.findall(r"\{doc\}`([\w/]+)`", item)]


def test_the_list_names_every_chapter_of_the_toc_in_order():
    chapters = [name for _caption, names in course_plan.toc_parts(ROOT) for name in names]
    # The notation page is a reference, linked after the list.
    assert listed_chapters(INTRO) == [name for name in chapters if name != "book/notation"]
    assert "{doc}`notation`" in INTRO


def test_a_chapter_missing_from_the_list_or_out_of_order_is_caught():
    page = "## What the course covers\n\n1. **A** ({doc}`rnn`).\n2. **B**: ({doc}`sequences`)\n   and more.\n\n## Next\n"
    assert listed_chapters(page) == ["book/rnn", "book/sequences"]
    assert listed_chapters(page.replace("2. **B**: ({doc}`sequences`)", "2. **B**")) == ["book/rnn"]
