"""A ".ipynb" entry in the download menu of every page written in MyST Markdown and executed at build time.

sphinx-book-theme offers the executed notebook for download only on pages
that also have launch buttons, which need a public repository. This puts
the notebook that MyST-NB executed (``_build/jupyter_execute/<page>.ipynb``)
beside the page's sources and tells the theme's download menu about it, so
a reader can open any chapter, with its outputs, in Jupyter.
"""

import shutil
from pathlib import Path


def _offer_executed_notebook(app, pagename, templatename, context, doctree) -> None:
    if not str(context.get("sourcename", "")).endswith((".md", ".md.txt")) or context.get("ipynb_source"):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():  # a page without code cells is not executed
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # before sphinx-book-theme builds its header buttons (priority 501)
    app.connect("html-page-context", _offer_executed_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
