"""The time budget: each part of the book executes in at most five minutes, as the strict build timed it.

The strict build (``make strict-book``) executes every page from an empty
jupyter-cache, which records each page's execution time; on CI's two cores
that is the budget's machine. The build, not this process, did the timing, so
the test adds no run of its own and reads the cache beside the site.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_cache import get_cache

from tests.site.test_built_site import ROOT, SITE, executable

sys.path.insert(0, str(ROOT / "book" / "_ext"))

import course_plan  # noqa: E402

BUDGET_S = 300
CACHE = SITE.parent / ".jupyter_cache"


def execution_seconds(cache_folder: Path, root: Path = ROOT) -> dict:
    """Docname (``book/rnn``) -> seconds its last execution took, for every page of ``root`` in the cache."""
    seconds = {}
    for record in sorted(get_cache(cache_folder).list_cache_records(), key=lambda record: record.created):
        docname = Path(record.uri).resolve().relative_to(root.resolve()).with_suffix("")
        seconds[docname.as_posix()] = record.data["execution_seconds"]
    return seconds


def over_budget(parts: list, seconds: dict, budget: float = BUDGET_S) -> list:
    """``(caption, total seconds, slowest pages)`` of every part whose pages take longer than ``budget`` in all."""
    over = []
    for caption, docnames in parts:
        timed = {name: seconds[name] for name in docnames if name in seconds}
        total = sum(timed.values())
        if total > budget:
            slowest = sorted(timed, key=timed.get, reverse=True)[:3]
            over.append((caption, round(total), [f"{name} {timed[name]:.0f} s" for name in slowest]))
    return over


PARTS = course_plan.toc_parts(ROOT)
SECONDS = execution_seconds(CACHE)


def test_every_page_with_code_was_executed_and_timed_by_the_build():
    pages = [name for _caption, docnames in PARTS for name in docnames if executable(name)]
    assert len(pages) >= 25
    assert [name for name in pages if name not in SECONDS] == []


def test_each_part_executes_within_five_minutes_on_this_machine():
    assert over_budget(PARTS, SECONDS) == []


def test_a_part_over_budget_is_reported_with_its_slowest_pages():
    parts = [("Foundations", ["book/rnn", "book/lstm"]), ("Applications", ["book/tour", "book/char_lm"])]
    seconds = {"book/rnn": 100.0, "book/lstm": 150.0, "book/tour": 120.0, "book/char_lm": 200.0}
    assert over_budget(parts, seconds) == [("Applications", 320, ["book/char_lm 200 s", "book/tour 120 s"])]
