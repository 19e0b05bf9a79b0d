"""The built book, as readers see it: every page of the table of contents opened in headless Chromium.

Run by ``make site`` (part of ``make test``) after the strict build, with the
site's folder in ``LSTM_COURSE_SITE``; ``tests/conftest.py`` leaves this folder
out of the unit tests, which run before the book is built. Screenshots of a
few pages go to ``screenshots/`` beside the site.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest
import yaml

from lstm_course.grading.release import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, release_notebook

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("LSTM_COURSE_SITE", ROOT / "_build" / "strict" / "_build" / "html")).resolve()
SCREENSHOTS = SITE.parents[1] / "screenshots"
SCREENSHOT_PAGES = {"book/intro", "book/rnn", "book/exercises/index", "book/exercises/lstm_cell"}


def toc_pages() -> list:
    """The documents of _toc.yml, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries) -> None:
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return pages


PAGES = toc_pages()


def executable(name: str) -> bool:
    """Whether the page is a notebook: an .ipynb, or MyST Markdown with a kernel."""
    markdown = ROOT / f"{name}.md"
    return (ROOT / f"{name}.ipynb").exists() or name.startswith("book/exercises/") and name != "book/exercises/index" \
        or (markdown.exists() and "kernelspec:" in markdown.read_text())


@pytest.fixture(scope="module")
def site_url():
    """The site served over HTTP on localhost, as readers get it (file:// URLs block the theme's fonts)."""
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Chromium is needed: install it with `sudo apt-get install chromium` (see the README)"
    assert (SITE / "index.html").is_file(), f"no built site in {SITE}: run `make strict-book` first"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_with_maths_and_figures_and_without_errors(browser, site_url, name):
    path = SITE / f"{name}.html"
    assert path.is_file(), f"{name} is in _toc.yml but {path} was not built"
    page = browser.new_page()
    problems = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed to load {request.url}"))
    page.goto(f"{site_url}/{name}.html", wait_until="load")
    # MathJax typesets after load; its startup promise resolves when the page is done.
    # Pages without maths do not load MathJax.
    page.wait_for_function("() => !document.querySelector('.math') || "
                           "!!(window.MathJax && MathJax.startup && MathJax.startup.promise)", timeout=20_000)
    page.evaluate("() => window.MathJax ? MathJax.startup.promise.then(() => true) : true")
    page.wait_for_load_state("networkidle")

    report = page.evaluate("""() => ({
        maths: document.querySelectorAll('.math').length,
        untypeset: [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container')).length,
        rawDisplay: document.body.innerText.includes('$$'),
        wideMaths: [...document.querySelectorAll('mjx-container[display="true"]')]
            .filter(m => m.scrollWidth > m.clientWidth + 2).map(m => (m.closest('.math') || m).id || m.textContent.slice(0, 40)),
        brokenImages: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
        imagesWithoutAlt: [...document.querySelectorAll('.cell_output img, figure img')]
            .filter(i => !i.getAttribute('alt')).map(i => i.src),
        tracebacks: [...document.querySelectorAll('.cell_output')]
            .filter(o => o.innerText.includes('Traceback (most recent call last)')).length,
        notebookLinks: [...document.querySelectorAll('.dropdown-download-buttons a[href$=".ipynb"]')].map(a => a.href),
    })""")
    notebooks = [page.request.get(url) for url in report["notebookLinks"]]
    downloads = [response.json() for response in notebooks if response.ok]
    if name in SCREENSHOT_PAGES:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / (name.replace("/", "_") + ".png")), full_page=True)
    page.close()

    assert problems == [], f"{name}: {problems}"
    assert report["untypeset"] == 0, f"{name}: {report['untypeset']} of {report['maths']} maths blocks not typeset"
    assert not report["rawDisplay"], f"{name}: raw $$ left in the text (maths not parsed)"
    assert report["wideMaths"] == [], f"{name}: display maths wider than the column: {report['wideMaths']}"
    assert report["brokenImages"] == [], f"{name}: images that did not load: {report['brokenImages']}"
    assert report["imagesWithoutAlt"] == [], f"{name}: images without alt text: {report['imagesWithoutAlt']}"
    assert report["tracebacks"] == 0, f"{name}: {report['tracebacks']} code cells show a traceback"
    if executable(name):
        assert len(downloads) == 1 and downloads[0]["cells"], f"{name}: no .ipynb in the download menu"


def secret_lines() -> dict:
    """Lines of solutions and hidden tests that a student version does not contain, by notebook.

    Lines that also occur in the package's own code or in any student version
    are left out: the book may show those, which students have anyway.
    """
    sources = sorted((ROOT / "exercises").glob("*.ipynb"))
    public = "\n".join(path.read_text() for path in (ROOT / "lstm_course").rglob("*.py"))
    public += "\n".join(cell.source for source in sources
                        for cell in release_notebook(nbformat.read(source, as_version=4)).cells)
    secrets = {}
    for source in sources:
        nb = nbformat.read(source, as_version=4)
        lines = set()
        for cell in nb.cells:
            for begin, end in [(BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)]:
                for region in re.findall(re.escape(begin) + r"(.*?)" + re.escape(end), cell.source, flags=re.S):
                    lines |= {line.strip() for line in region.splitlines()
                              if len(line.strip()) >= 20 and line.strip() not in public}
        secrets[source.name] = lines
    return secrets


def test_no_solution_or_hidden_test_appears_anywhere_in_the_site(browser):
    secrets = secret_lines()
    assert sum(map(len, secrets.values())) > 50, "the exercises should have solution lines to look for"
    files = [path for path in SITE.rglob("*") if path.is_file() and path.suffix in {".html", ".js", ".ipynb", ".txt", ".md", ".json"}]
    assert any(path.name == "lstm_cell.ipynb" for path in files), "the student versions are downloadable"
    leaks = []
    for path in files:
        text = path.read_text(errors="replace")
        text = text.replace("\\n", "\n").replace('\\"', '"')  # lines inside JSON strings of notebooks
        for marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            if marker in text:
                leaks.append(f"{path.relative_to(SITE)}: {marker}")
        for notebook, lines in secrets.items():
            leaks += [f"{path.relative_to(SITE)}: {line!r} from {notebook}" for line in lines if line in text]
    assert leaks == [], "solutions or hidden tests in the site:\n" + "\n".join(leaks[:20])


def test_search_finds_a_chapter(browser, site_url):
    page = browser.new_page()
    page.goto(f"{site_url}/search.html?q=forget+gate", wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('ul.search li').length > 0", timeout=20_000)
    hits = page.evaluate("() => [...document.querySelectorAll('ul.search li a')].map(a => a.getAttribute('href'))")
    page.close()
    assert any("book/lstm" in hit for hit in hits), f"searching 'forget gate' should find the LSTM chapter: {hits}"


DIAGRAMS = {  # page -> ids of the figures drawn by lstm_course.diagrams
    "book/lstm": ["fig-lstm-cell-cec", "fig-lstm-cell-forget", "fig-lstm-cell"],
    "book/gru": ["fig-gru-cell-update", "fig-gru-cell-reset"],
    "book/bptt": ["fig-bptt-unrolled"],
    "book/deep_rnns": ["fig-deep-stacked", "fig-deep-bidirectional"],
}


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_cell_diagrams_are_drawn_with_alt_text(browser, site_url, name):
    page = browser.new_page()
    page.goto(f"{site_url}/{name}.html", wait_until="load")
    found = page.evaluate("""ids => ids.map(id => {
        const img = document.querySelector(`figure#${id} img`);
        return img && {width: img.naturalWidth, shown: img.getBoundingClientRect().width,
                       alt: img.getAttribute('alt') || '', caption: document.querySelector(`figure#${id} figcaption`).innerText};
    })""", DIAGRAMS[name])
    page.close()
    for figure_id, image in zip(DIAGRAMS[name], found):
        assert image, f"{name}: no image in figure {figure_id}"
        assert image["width"] > 200 and image["shown"] > 200, f"{name}: {figure_id} is not drawn at a readable size"
        assert len(image["alt"]) > 100, f"{name}: {figure_id} needs alt text that describes the diagram"
        assert image["caption"].startswith("Fig."), f"{name}: {figure_id} has no numbered caption"


@pytest.mark.parametrize("name", ["book/lstm", "book/lstm_by_hand", "book/training_init"])
def test_answers_to_the_questions_are_folded_until_opened(browser, site_url, name):
    page = browser.new_page()
    page.goto(f"{site_url}/{name}.html", wait_until="load")
    answers = page.locator("details.sd-dropdown")
    count = answers.count()
    assert 3 <= count <= 5, f"{name}: {count} folded answers; the chapter skeleton asks for 3 to 5 questions"
    first = answers.first
    assert not first.evaluate("d => d.open") and not first.locator(".sd-card-body").is_visible()
    first.locator("summary").click()
    assert first.evaluate("d => d.open") and first.locator(".sd-card-body").is_visible()
    page.close()
