"""The course plan and the learning objectives of book/instructors.md, read from the chapters at build time.

Every chapter of a numbered part of ``_toc.yml`` opens with the same header:

    **Learning objectives.** After this chapter you can

    - ...;
    - ...

    **Prerequisites:** {doc}`lstm`. **Time:** about 60 minutes, and an hour for the exercise.

and ends with an ``## Exercises`` section that links the exercise notebooks it
goes with. Two directives copy these into the instructors' page, so the page
cannot drift from the chapters, and a chapter added to ``_toc.yml`` appears
without an edit:

- ``{course-plan}``: a table of the chapters with their prerequisites, time
  and exercises, and the total time per part;
- ``{learning-objectives}``: every chapter's list of objectives.

Both write MyST Markdown and parse it in the page, so the roles of the
chapters' text ({doc}, {cite:p}, {eq}) work as they do in the chapters. A
chapter without one of the three parts of the header is a build warning (an
error under ``-W``). ``tests/book/test_instructors.py`` checks the parsing
against every chapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

OBJECTIVES = "**Learning objectives.**"
PREREQUISITES = re.compile(r"\*\*Prerequisites[:.]\*\*\s*(.*?)\s*\*\*Time:\*\*\s*(.*)", re.S)
EXERCISE = re.compile(r"\{doc\}`exercises/(\w+)`")  # exercises/index, the list of all, is left out
MINUTES = re.compile(r"^about (\d+) minutes|^about an hour")


@dataclass
class Chapter:
    docname: str  # e.g. "book/lstm", as in _toc.yml
    title: str
    objectives: list  # the bullet items, each one string of MyST (continuation lines joined)
    prerequisites: str
    time: str  # what the chapter says, up to the first ";"
    exercises: list  # names of the exercise notebooks its Exercises section links

    @property
    def minutes(self):
        """The reading time in minutes, or None where the time line is not "about N minutes" or "about an hour"."""
        found = MINUTES.match(self.time)
        return None if found is None else int(found.group(1) or 60)

    @property
    def exercise_minutes(self) -> int:
        return 60 if "an hour for the exercise" in self.time else 0


def toc_parts(root: Path) -> list:
    """(caption, [docname, ...]) of every numbered part of _toc.yml, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [(part["caption"], [chapter["file"] for chapter in part.get("chapters", [])])
            for part in toc.get("parts", []) if part.get("numbered")]


def _paragraph_after(lines: list, start: int) -> str:
    """The lines from ``start`` to the next blank line, joined by spaces."""
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return " ".join(line.strip() for line in lines[start:end])


def read_chapter(root: Path, docname: str) -> Chapter:
    """The header and the exercises of one chapter; ValueError names what is missing."""
    text = (root / f"{docname}.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), None)
    if title is None:
        raise ValueError(f"{docname}.md has no '# ' title")
    at = next((i for i, line in enumerate(lines) if line.startswith(OBJECTIVES)), None)
    if at is None:
        raise ValueError(f"{docname}.md has no {OBJECTIVES} list")
    objectives, i = [], at + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines) and (lines[i].startswith("- ") or lines[i].startswith("  ")):
        if lines[i].startswith("- "):
            objectives.append(lines[i][2:].strip())
        else:
            objectives[-1] += " " + lines[i].strip()
        i += 1
    if not objectives:
        raise ValueError(f"{docname}.md: no items under {OBJECTIVES}")
    start = next((j for j in range(i, len(lines)) if lines[j].startswith("**Prerequisites")), None)
    found = start is not None and PREREQUISITES.match(_paragraph_after(lines, start))
    if not found:
        raise ValueError(f"{docname}.md has no '**Prerequisites:** ... **Time:** ...' paragraph after its objectives")
    prerequisites, time = found.group(1), found.group(2).split(";")[0].strip().rstrip(".")
    section = text.split("\n## Exercises\n", 1)
    exercises = [] if len(section) == 1 else EXERCISE.findall(section[1].split("\n## ", 1)[0])
    exercises = [name for name in dict.fromkeys(exercises) if name != "index"]
    return Chapter(docname, title, objectives, prerequisites, time, exercises)


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join(([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else []))


def _link(docname: str) -> str:
    """A {doc} link from a page in book/ to ``docname``."""
    return f"{{doc}}`{docname.removeprefix('book/')}`"


def plan_markdown(parts: list) -> list:
    """MyST lines of the course plan: one table per part, then its total reading time."""
    lines = []
    for caption, chapters in parts:
        lines += [f"**{caption}**", "", "| chapter | prerequisites | time | exercises |", "|---|---|---|---|"]
        for chapter in chapters:
            exercises = ", ".join(f"{{doc}}`{name} <exercises/{name}>`" for name in chapter.exercises) or "none"
            cells = (_link(chapter.docname), chapter.prerequisites, chapter.time, exercises)
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        minutes = [chapter.minutes for chapter in chapters if chapter.minutes is not None]
        exercises = sum(chapter.exercise_minutes for chapter in chapters)
        unknown = len(chapters) - len(minutes)
        lines += ["", f"{caption}: about {_hours(sum(minutes))} of reading"
                  + (f" and {_hours(exercises)} of exercises" if exercises else "")
                  + (f", besides {unknown} chapters whose time is not given in minutes" if unknown else "") + ".", ""]
    return lines


def objectives_markdown(parts: list) -> list:
    """MyST lines of every chapter's learning objectives, chapter by chapter."""
    lines = []
    for _caption, chapters in parts:
        for chapter in chapters:
            lines += [f"{_link(chapter.docname)}: after this chapter you can", ""]
            lines += [f"- {objective}" for objective in chapter.objectives] + [""]
    return lines


class _FromChapters(SphinxDirective):
    has_content = False
    render = staticmethod(plan_markdown)

    def run(self):
        root = Path(self.env.app.confdir)
        parts = []
        self.env.note_dependency(str(root / "_toc.yml"))
        for caption, docnames in toc_parts(root):
            chapters = []
            for docname in docnames:
                self.env.note_dependency(str(root / f"{docname}.md"))
                try:
                    chapters.append(read_chapter(root, docname))
                except (OSError, ValueError) as error:
                    logger.warning(f"{self.name}: {error}", location=(self.env.docname, self.lineno))
            parts.append((caption, chapters))
        container = nodes.container()
        self.state.nested_parse(StringList(self.render(parts), source=self.env.docname), self.content_offset,
                                container)
        return container.children


class CoursePlan(_FromChapters):
    render = staticmethod(plan_markdown)


class LearningObjectives(_FromChapters):
    render = staticmethod(objectives_markdown)


def setup(app):
    app.add_directive("course-plan", CoursePlan)
    app.add_directive("learning-objectives", LearningObjectives)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
