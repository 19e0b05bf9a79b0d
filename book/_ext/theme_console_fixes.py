"""Two fixes to Jupyter Book 1.0's HTML theme stack, each of which logs an error in every reader's console.

- sphinx-thebe adds its inline configuration script once per read of the
  sources, so a page can carry it twice and the browser throws
  "Identifier 'THEBE_JS_URL' has already been declared". Each page keeps one
  copy of every script.
- sphinx-book-theme sets the colour mode to "" on a reader's first visit and
  the pydata theme then reports "Got invalid theme mode". The mode starts as
  "auto" instead, which is what the theme falls back to.

``tests/site`` opens every page in Chromium and fails on any console error.
"""

_DEFAULT_MODE = 'document.documentElement.dataset.mode = document.documentElement.dataset.mode || "auto";'


def _one_copy_of_each_script(app, pagename, templatename, context, doctree) -> None:
    seen, kept = [], []
    for script in context.get("script_files", []):
        # the same inline script is added once with filename None and once with "": one key for both
        key = (getattr(script, "filename", None) or "", sorted(getattr(script, "attributes", {}).items()))
        if key not in seen:
            seen.append(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.add_js_file(None, body=_DEFAULT_MODE, priority=0)
    app.connect("html-page-context", _one_copy_of_each_script, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
