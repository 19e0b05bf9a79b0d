"""Every ``book/<page>.md#<label>`` that a docstring or comment of the package
names is a page of the book (a file listed in ``_toc.yml``) with that label:
an equation label ``$$ (label)`` or a section target ``(label)=``."""

import io
import re
import tokenize
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\bbook/([\w/-]+)\.md(?:#([\w-]+))?")
LABEL = re.compile(r"\$\$\s*\(([\w-]+)\)|^\(([\w-]+)\)=\s*$", re.MULTILINE)


def toc_files(entries) -> set:
    """Every ``file`` of ``_toc.yml``, recursively (without extension, as written there)."""
    files = set()
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict):
            if "file" in entry:
                files.add(entry["file"])
            for key in ("parts", "chapters", "sections"):
                files |= toc_files(entry.get(key, []))
    return files


_TOC_YML = yaml.safe_load((ROOT / "_toc.yml").read_text())
TOC = toc_files(_TOC_YML) | {_TOC_YML["root"]}


def links_in(path: Path):
    """(line, page, label or None) for each link in the strings and comments of ``path``."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    for token in tokens:
        if token.type in (tokenize.STRING, tokenize.COMMENT):
            for match in LINK.finditer(token.string):
                line = token.start[0] + token.string.count("\n", 0, match.start())
                yield line, match.group(1), match.group(2)


def links_in_text(text: str):
    return ((m.group(1), m.group(2)) for m in LINK.finditer(text))


def labels_of(page: str) -> set:
    return {a or b for a, b in LABEL.findall((ROOT / "book" / f"{page}.md").read_text())}


def problem(page: str, label) -> str:
    """Why the link is broken, or "" if it is not."""
    if not (ROOT / "book" / f"{page}.md").is_file():
        return f"book/{page}.md does not exist"
    if f"book/{page}" not in TOC:
        return f"book/{page}.md is not in _toc.yml"
    if label is not None and label not in labels_of(page):
        return f"book/{page}.md has no label {label!r}"
    return ""


LINKS = [(f"{path.relative_to(ROOT)}:{line}", page, label)
         for path in sorted((ROOT / "lstm_course").rglob("*.py")) for line, page, label in links_in(path)]


def test_the_package_links_its_chapters():
    """The scan finds the links of the recurrent modules (so an empty scan cannot pass)."""
    places = {where.split(":")[0] for where, _, _ in LINKS}
    for module in ("rnn.py", "lstm.py", "gru.py"):
        assert f"lstm_course/nn/{module}" in places, f"no book link found in lstm_course/nn/{module}"


@pytest.mark.parametrize("where,page,label", LINKS, ids=[f"{w}:{p}#{l}" for w, p, l in LINKS])
def test_link_target_exists(where, page, label):
    assert not problem(page, label), f"{where}: {problem(page, label)}"


def test_broken_links_are_recognised():
    assert problem("lstm", "eq-lstm-forget") == ""
    assert problem("lstm", None) == ""
    assert "no label" in problem("lstm", "eq-no-such-label")
    assert "does not exist" in problem("parallel_rnns", None)
    assert list(links_in_text("see book/gru.md#eq-gru-new and book/rnn.md.")) == [("gru", "eq-gru-new"), ("rnn", None)]
