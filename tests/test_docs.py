"""The documentation site in a real browser: `.ci/docs.py` builds it (executing only notebooks changed since the last
build), then headless Chromium loads the home page, the inference page and pages with plots.

Skipped when Chromium (Debian's `chromium`) or the docs packages (`make docs` installs them) are missing.
"""
import base64, html, importlib.util, inspect, json, re, shutil, subprocess, sys
from pathlib import Path

import pytest
from fastcore.docments import docments

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_docs"
PLOT_PAGES = ["infer.html", "tutorials/property_prediction.html", "parse.html"]  # pages whose notebooks draw plots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed (apt-get install chromium)"),
    pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in ("mkdocs", "material", "mkdocs_jupyter")),
                       reason="docs packages not installed (run `make docs` once)"),
]


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


def test_home_page(dom):
    doc = dom("index.html")
    assert "<title>" in doc and "sol_trainer" in doc
    assert 'data-md-component="search-query"' in doc  # Material's search box
    nav = re.findall(r'href="((?:tutorials/)?[a-z_]+\.html)"', doc[doc.index("md-nav--primary"):])
    chapters = ["utils.html", "datasets.html", "featurize.html", "infer.html", "config.html"]
    assert [nav.index(c) for c in chapters] == sorted(nav.index(c) for c in chapters)  # sidebar in notebook order
    assert "tutorials/property_prediction.html" in nav


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


@pytest.mark.parametrize("page", PLOT_PAGES)
def test_plot_images(dom, page):
    imgs = re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', dom(page))
    assert imgs, f"no plot image on {page}"
    png = base64.b64decode(imgs[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000  # a real rendered figure, not a placeholder


def test_search_index(site):
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    assert any(d["location"] == "infer.html#eval_ensemble" for d in docs)
