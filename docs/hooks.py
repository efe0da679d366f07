"""MkDocs hooks for the sol_trainer site (docs/mkdocs.yml).

mkdocs-jupyter inlines the same JupyterLab and Pygments stylesheets (about 0.6 MB) into every notebook page; this
writes each large one once under assets/ and links it from the pages instead.
"""
import hashlib, re
from pathlib import Path

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
MIN_SHARED = 2000  # characters; smaller style blocks stay in the page


def on_post_page(output: str, page, config) -> str:
    "Replace the page's large `<style>` blocks by links to shared stylesheets."
    up = "../" * page.url.count("/")
    def shared(m):
        css = m.group(1)
        if len(css) < MIN_SHARED: return m.group(0)
        name = f"assets/stylesheets/notebook-{hashlib.sha1(css.encode()).hexdigest()[:12]}.css"
        path = Path(config["site_dir"]) / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(css, encoding="utf-8")
        return f'<link rel="stylesheet" href="{up}{name}">'
    return _STYLE.sub(shared, output)
