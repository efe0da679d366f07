"""The documentation site in a real browser: `.ci/docs.py` builds it (executing only notebooks changed since the last
build), then headless Chromium loads the home page, the inference page and pages with plots.

Skipped when Chromium (Debian's `chromium`) or the docs packages (`make docs` installs them) are missing. The tests of the
page processors (which cells a page shows, and how) need neither: they run on notebook dicts, without a build.
"""
import base64, html, importlib.util, inspect, json, re, shutil, subprocess, sys
from pathlib import Path

import pytest
from fastcore.docments import docments

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_docs"
PLOT_PAGES = ["infer.html", "tutorials/property_prediction.html", "reports.html"]  # pages whose notebooks draw plots

BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed (apt-get install chromium)"),
    pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in ("mkdocs", "material", "mkdocs_jupyter")),
                       reason="docs packages not installed (run `make docs` once)"),
]


def browser(test):
    "Mark `test` as one on the built site in headless Chromium (skipped without Chromium or the docs packages)."
    for mark in reversed(BROWSER): test = mark(test)
    return test


@pytest.fixture(scope="module")
def site() -> Path:
    "The built site folder."
    r = subprocess.run([sys.executable, ".ci/docs.py"], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"docs build failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    return SITE


@pytest.fixture(scope="module")
def dom(site, tmp_path_factory):
    "Function returning the DOM of a site page after Chromium has loaded it and run its scripts."
    profile = tmp_path_factory.mktemp("chromium")
    def load(page: str) -> str:
        r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            f"--user-data-dir={profile}", "--dump-dom", (site / page).as_uri()],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "</html>" in r.stdout, f"chromium failed on {page}: {r.stderr[-2000:]}"
        return r.stdout
    return load


def section(doc: str, anchor: str) -> str:
    "The part of `doc` from the element with id `anchor` to the next heading."
    start = doc.index(f'id="{anchor}"')
    end = re.search(r"<h[1-3][ >]", doc[start:])
    return doc[start:start + end.start()] if end else doc[start:]


@browser
def test_home_page(dom):
    doc = dom("index.html")
    assert "<title>" in doc and "sol_trainer" in doc
    assert 'data-md-component="search-query"' in doc  # Material's search box
    nav = re.findall(r'href="((?:tutorials/)?[a-z_]+\.html)"', doc[doc.index("md-nav--primary"):])
    chapters = ["utils.html", "datasets.html", "featurize.html", "infer.html", "config.html"]
    assert [nav.index(c) for c in chapters] == sorted(nav.index(c) for c in chapters)  # sidebar in notebook order
    assert "tutorials/property_prediction.html" in nav


@browser
def test_inference_api_table(dom):
    from sol_trainer.infer import eval_ensemble
    api = section(dom("infer.html"), "eval_ensemble")
    table = re.search(r'<table class="st-params">.*?</table>', api, re.S)
    assert table, "no parameter table after the eval_ensemble heading"
    text = html.unescape(re.sub(r"<[^>]+>", "", table.group(0)))
    for name, d in docments(eval_ensemble, full=True).items():
        if name == "return": continue
        assert name in text
        assert re.sub(r"`", "", d["docment"]) in text  # the comment after the parameter, backticks rendered as code
    assert re.search(r'href="https://github\.com/[^"]+/blob/main/sol_trainer/infer\.py#L\d+"', api)  # link to its source
    assert inspect.getdoc(eval_ensemble).split(":")[0].replace("`", "") in html.unescape(re.sub(r"<[^>]+>", "", api))


@browser
@pytest.mark.parametrize("page", PLOT_PAGES)
def test_plot_images(dom, page):
    imgs = re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', dom(page))
    assert imgs, f"no plot image on {page}"
    png = base64.b64decode(imgs[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000  # a real rendered figure, not a placeholder


@browser
def test_search_index(site):
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    assert any(d["location"] == "infer.html#eval_ensemble" for d in docs)


@browser
def test_pages_hide_tests_and_stderr(dom):
    "The built chapter pages show no test code, no directive and no red stderr box."
    for page in ("reports.html", "metrics.html"):
        doc = dom(page)
        text = html.unescape(re.sub(r"<[^>]+>", "", doc[doc.index("<article"):doc.index("</article>")]))
        assert "application/vnd.jupyter.stderr" not in doc and "#|" not in text
        if page == "reports.html": assert not re.search(r"\btest_(eq|fail|close)\(", text)  # all its tests are in test cells


# ---------------------------------------------------------------- page processors, on notebook dicts (no build)

@pytest.fixture(scope="module")
def docs_build():
    "`.ci/docs.py` as a module."
    spec = importlib.util.spec_from_file_location("docs_build", ROOT / ".ci" / "docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("source, expected", [
    ("test_eq(f(1), 2)\nassert g(), 'g'", True),
    ("#| hide\ntest_close(h(0.5),\n           0.25, eps=1e-3)  # two lines\n\ntest_fail(lambda: f(-1), contains='negative')", True),
    ("test_eq(x, 1); test_ne(x, 2)\nfor k in ks: test_eq(k in d, True)", True),
    ("with ExceptionExpected(ValueError): f(-1)", True),
    ("x = f(1)\ntest_eq(x, 2)", False),                     # an example that also tests: shown
    ("test_eq(f(1), 2)\nf(1)", False),                      # ends showing a value
    ("f(1)  # test_eq(f(1), 2)", False),
    ("# a comment only", False),
    ("", False),
    ("test_eq(f(1), 2", False),                              # not Python: shown as it is
    ("with open('x') as fh: test_eq(fh.read(), '')", False),
])
def test_is_test_cell(docs_build, source, expected):
    assert docs_build.is_test_cell(source) is expected


@pytest.mark.parametrize("source, shown", [
    ("x = f(1)\ntest_eq(x, 2)", "x = f(1)"),
    ("x = f(1)\n# x doubles\ntest_close(x,\n           2)\nx", "x = f(1)\nx"),   # a comment just above goes with its test
    ("x = f(1); test_eq(x, 2)", "x = f(1); test_eq(x, 2)"),     # sharing a line with an example: kept
    ("for k in ks:\n    d[k] = f(k)\n    test_eq(d[k], 2 * k)", "for k in ks:\n    d[k] = f(k)\n    test_eq(d[k], 2 * k)"),  # inside code
    ("a = 1\ntest_eq(a, 1)\n\n\nb = 2", "a = 1\n\nb = 2"),
    ("%time f(1)\ntest_eq(f(1), 2)", "%time f(1)\ntest_eq(f(1), 2)"),  # not Python: as it is
])
def test_strip_tests(docs_build, source, shown):
    assert docs_build.strip_tests(source) == shown


def _cell(source, outputs=None, kind="code", **kw):
    if kind == "markdown": return {"cell_type": "markdown", "id": f"m{abs(hash(source))}", "metadata": {}, "source": source}
    return {"cell_type": "code", "id": f"c{abs(hash(source))}", "metadata": {}, "execution_count": 1 if outputs else None,
            "outputs": outputs or [], "source": source, **kw}


def _stream(name, text): return {"output_type": "stream", "name": name, "text": text}


def _figure(kind):
    out = {"output_type": kind, "metadata": {}, "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 750x450 with 1 Axes>"}}
    return {**out, "execution_count": 3} if kind == "execute_result" else out


def test_page_cells(docs_build):
    bar = "\rfolds:   0%|          | 0/2 [00:00<?, ?it/s]\rfolds: 100%|##########| 2/2 [00:00<00:00, 122.69it/s]\n"
    warning = ("/x/sklearn/metrics/_ranking.py:469: UndefinedMetricWarning: Only one class is present in y_true.\n"
               "ROC AUC score is not defined in that case.\n  warnings.warn(\n")
    nb = {"metadata": {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5, "cells": [
        _cell("# Title", kind="markdown"),
        _cell("#| default_exp reports"),
        _cell("#| export\ndef f(x): return 2 * x"),
        _cell("#| hide\nfrom fastcore.test import test_eq"),
        _cell("test_eq(f(1), 2)\ntest_eq(f(2),\n        4)", [_stream("stderr", warning)]),
        _cell("#| slow\n#|eval: true\ny = f(3)\ny", [_stream("stderr", bar + warning + "Property pIC50 is not calibrated\n"),
                                                 {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                                                  "data": {"text/plain": "6"}}]),
        _cell("fig = plot(h)\nfig", [_figure("display_data"), _figure("execute_result")]),
        _cell("import tqdm\nfor _ in tqdm.tqdm(range(2)): pass", [_stream("stderr", bar)]),
        _cell("#| echo: false\nf(4)"),
    ]}
    before = json.dumps(nb)
    cells = docs_build.page_cells(nb)
    assert json.dumps(nb) == before  # the notebook is left as it is
    shown = [c.source for c in cells]
    assert shown == ["# Title", "y = f(3)\ny", "fig = plot(h)\nfig", "import tqdm\nfor _ in tqdm.tqdm(range(2)): pass", "f(4)"]
    _, y, fig, loop, hidden_input = cells
    assert [(o.output_type, o.get("name"), o.get("text")) for o in y.outputs] == [
        ("stream", "stdout", "Property pIC50 is not calibrated\n"), ("execute_result", None, None)]  # log line kept, plainly
    assert [o.output_type for o in fig.outputs] == ["execute_result"]  # the plot once
    assert loop.outputs == []  # only a progress bar: nothing left
    assert "remove_input" in hidden_input.metadata["tags"]  # Quarto's echo: false still hides the input


def test_reports_chapter_page_cells(docs_build):
    "The reports chapter: every test is in a test-only cell, which its page drops with the hidden and exported cells."
    nb = json.loads((ROOT / "nbs" / "07_reports.ipynb").read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    tests = [s for s in code if docs_build.is_test_cell(s)]
    shown = [c.source for c in docs_build.page_cells(nb) if c.cell_type == "code"]
    assert len(tests) >= 10 and not any(re.search(r"\btest_(eq|fail|close)\(", s) for s in shown)
    assert not any("#|" in s for s in shown) and not any("from fastcore.test" in s for s in shown)
    assert len(shown) == len(code) - len(tests) - sum(bool(re.match(r"#\| *(hide|export|default_exp)", s)) for s in code)
    assert any("fig = plot_learning_curves(five)" in s for s in shown)



def test_cell_ids_are_unique():
    "Each notebook's cells have distinct ids (nbformat renumbers duplicates, which moves the package's cell markers)."
    for nb in sorted((ROOT / "nbs").rglob("*.ipynb")):
        ids = [c.get("id") for c in json.loads(nb.read_text())["cells"]]
        assert len(ids) == len(set(ids)), f"{nb.name}: repeated cell ids {sorted({i for i in ids if ids.count(i) > 1})}"
