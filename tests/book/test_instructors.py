"""book/instructors.md: the course plan and the learning objectives come from the chapters, whatever _toc.yml lists."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from lstm_course.grading import results

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import course_plan  # noqa: E402

PAGE = (ROOT / "book" / "instructors.md").read_text()
PARTS = course_plan.toc_parts(ROOT)
CHAPTERS = [docname for _caption, docnames in PARTS for docname in docnames]
EXERCISES = {path.stem for path in (ROOT / "exercises").glob("*.ipynb")}


def test_the_page_is_in_the_toc_and_built_from_the_chapters():
    assert "- file: book/instructors\n" in (ROOT / "_toc.yml").read_text()
    assert "course_plan: book/_ext" in (ROOT / "_config.yml").read_text()
    assert "```{course-plan}\n```" in PAGE and "```{learning-objectives}\n```" in PAGE
    assert len(CHAPTERS) >= 19 and CHAPTERS[0] == "book/sequences" and "book/char_lm" in CHAPTERS


@pytest.mark.parametrize("docname", CHAPTERS)
def test_every_chapter_gives_its_objectives_prerequisites_time_and_exercises(docname):
    chapter = course_plan.read_chapter(ROOT, docname)
    text = (ROOT / f"{docname}.md").read_text()
    # the objectives, read here another way: the text between the marker and the prerequisites
    block = text.split(course_plan.OBJECTIVES, 1)[1].split("**Prerequisites", 1)[0]
    items = block.split("\n- ")[1:]
    assert len(chapter.objectives) == len(items) >= 2
    assert chapter.objectives == [" ".join(item.split()) for item in items]
    assert chapter.prerequisites and "**" not in chapter.prerequisites
    assert chapter.minutes is not None and 10 <= chapter.minutes <= 120, chapter.time
    assert set(chapter.exercises) <= EXERCISES
    assert chapter.title == re.search(r"^# (.+)$", text, re.M).group(1)


def test_the_plan_and_the_objectives_hold_every_chapter():
    parts = [(caption, [course_plan.read_chapter(ROOT, d) for d in docnames]) for caption, docnames in PARTS]
    plan = "\n".join(course_plan.plan_markdown(parts))
    objectives = "\n".join(course_plan.objectives_markdown(parts))
    for _caption, chapters in parts:
        for chapter in chapters:
            name = chapter.docname.removeprefix("book/")
            assert f"| {{doc}}`{name}` | {chapter.prerequisites} | {chapter.time} |" in plan
            assert all(f"- {objective}" in objectives for objective in chapter.objectives)
    total = sum(chapter.minutes for chapter in parts[0][1])
    assert f"{parts[0][0]}: about {total // 60} h" in plan


def test_a_chapter_added_to_the_toc_is_picked_up(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nparts:\n"
                                       "  - caption: New\n    numbered: true\n    chapters:\n"
                                       "      - file: book/new\n      - file: book/bare\n"
                                       "  - caption: Back\n    chapters:\n      - file: book/refs\n")
    (tmp_path / "book" / "new.md").write_text(
        "# Something new\n\n**Learning objectives.** After this chapter you can\n\n- do one thing;\n"
        "- do another,\n  over two lines.\n\n**Prerequisites:** {doc}`lstm`. **Time:** about an hour; fast.\n\n"
        "## Exercises\n\n{doc}`exercises/forecaster` and {doc}`exercises/index`.\n\n## Further reading\n\n"
        "{doc}`exercises/gru_cell`\n")
    (tmp_path / "book" / "bare.md").write_text("# Bare\n\nNo header.\n")
    assert course_plan.toc_parts(tmp_path) == [("New", ["book/new", "book/bare"])]
    chapter = course_plan.read_chapter(tmp_path, "book/new")
    assert chapter.objectives == ["do one thing;", "do another, over two lines."]
    assert (chapter.prerequisites, chapter.time, chapter.minutes) == ("{doc}`lstm`.", "about an hour", 60)
    assert chapter.exercises == ["forecaster"]
    with pytest.raises(ValueError, match="book/bare.md has no"):
        course_plan.read_chapter(tmp_path, "book/bare")


def test_the_pages_numbers_are_the_graders_and_the_books():
    for option, value in (("--timeout", results.CELL_TIMEOUT), ("--notebook-timeout", results.NOTEBOOK_TIMEOUT),
                          ("--submission-timeout", results.SUBMISSION_TIMEOUT)):
        assert f"`{option}` ({value:g} s per" in PAGE, option
    assert f"`--memory-mb` ({results.MEMORY_MB} MB)" in PAGE
    assert "benchmarks/RESULTS.md" in PAGE  # the time to grade a submission is measured there, not stated here


def test_every_chapter_of_part_two_needs_only_chapters_before_it():
    (_first, part_one), (_second, part_two) = PARTS[:2]
    for position, docname in enumerate(part_two):
        needed = re.findall(r"\{doc\}`(\w+)`", course_plan.read_chapter(ROOT, docname).prerequisites)
        assert needed and {f"book/{name}" for name in needed} <= set(part_one + part_two[:position]), docname
