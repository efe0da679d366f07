"""Build the documentation site into _docs/ without Quarto: nbdev's notebook processors, then MkDocs Material.

    python .ci/docs.py               # execute new or changed notebooks, then build _docs/
    python .ci/docs.py --force       # execute every notebook again
    python .ci/docs.py --flags slow  # also run the cells marked `#| slow` (skipped by default, as in nbdev_test)
    python .ci/docs.py --only nbs/07_reports.ipynb nbs/03d_metrics.ipynb  # execute just these; render what is built

Every notebook nbdev finds under nbs/ (the numbered chapters, index.ipynb, anything in nbs/tutorials/) becomes a page
at the path nbdev's doc links use (`nbs/06_infer.ipynb` -> `infer.html`). Each is processed by nbdev's own processors
(`add_show_docs` puts a `show_doc` after every exported definition; exported and hidden cells are dropped), executed
in-process like `nbdev_test`, so the pages carry real outputs while the committed notebooks stay output-free, tidied
for reading (`PAGE_PROCS`: cells that are only tests are dropped, `#|` directive lines stripped, stderr shown as plain
text without progress bars and Python warnings, a returned figure shown once), and written to _mkdocs/docs/. MkDocs
Material with mkdocs-jupyter (docs/mkdocs.yml) renders them into _docs/, with the sidebar in notebook order and search.
A notebook is executed again only when it, the package or this script changed (use --force after changing other files
a notebook reads).
"""
from __future__ import annotations
import argparse, ast, collections, copy, functools, html, importlib, inspect, os, re, shutil, sys, time, traceback
from pathlib import Path

from execnb.nbio import dict2nb, read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from fastcore.docments import docments
from fastcore.parallel import parallel
from nbdev.config import get_config
from nbdev.doclinks import NbdevLookup, _get_exps, _nbpath2html, nbglob
from nbdev.process import NBProcessor, Processor
from nbdev.processors import (add_show_docs, clean_magics, filter_stream_, hide_, hide_line, mv_exports,
                              populate_language, rm_export, rm_header_dash, strip_ansi, strip_hidden_metadata)
import nbdev.showdoc
from nbdev.showdoc import BasicMarkdownRenderer

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_mkdocs" / "docs"    # processed, executed notebooks: MkDocs' docs_dir
SITE = ROOT / "_docs"
MKDOCS_YML = ROOT / "docs" / "mkdocs.yml"


# ---------------------------------------------------------------- show_doc for the site

def _anno(a) -> str:
    "An annotation as written in the source (annotations are strings under `from __future__ import annotations`)."
    return a if isinstance(a, str) else inspect.formatannotation(a)


def _param(p: inspect.Parameter) -> str:
    "`p` as in a signature, without quotes around string annotations."
    s = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
    if p.annotation is not p.empty: s += f": {_anno(p.annotation)}"
    if p.default is not p.empty: s += f"{' = ' if p.annotation is not p.empty else '='}{p.default!r}"
    return s


def signature_text(sym, name: str, maxline: int = 88) -> str | None:
    "`name(...) -> ...` for `sym` on one line, or one parameter per line when longer than `maxline`."
    try: sig = inspect.signature(sym)
    except (TypeError, ValueError): return None
    params, items = [p for p in sig.parameters.values() if p.name not in ("self", "cls")], []
    for i, p in enumerate(params):
        if p.kind == p.KEYWORD_ONLY and (i == 0 or params[i - 1].kind not in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)): items.append("*")
        items.append(_param(p))
        if p.kind == p.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind != p.POSITIONAL_ONLY): items.append("/")
    ret = "" if sig.return_annotation is sig.empty else f" -> {_anno(sig.return_annotation)}"
    line = f"{name}({', '.join(items)}){ret}"
    return line if len(line) <= maxline else f"{name}(\n" + "".join(f"    {o},\n" for o in items) + f"){ret}"


def _code_html(text: str) -> str:
    "HTML-escape `text`, turning `backticked` names into code, linked to their docs when nbdev knows them."
    def code(m):
        url = NbdevLookup().doc(m.group(1))
        c = f"<code>{m.group(1)}</code>"
        return f'<a href="{url}">{c}</a>' if url else c
    return re.sub(r"`([^`]+)`", code, html.escape(text, quote=False))


def param_table(sym) -> str:
    "The docments table of `sym` as HTML: one row per parameter (type, default, the comment after it), then the return."
    try: sig, dm = inspect.signature(sym), docments(sym, full=True)
    except (TypeError, ValueError): return ""
    rows = [(f"<code>{_param(p.replace(annotation=p.empty, default=p.empty))}</code>",
             "" if p.annotation is p.empty else f"<code>{html.escape(_anno(p.annotation))}</code>",
             "" if p.default is p.empty else f"<code>{html.escape(repr(p.default))}</code>",
             _code_html(dm.get(p.name, {}).get("docment") or ""))
            for p in sig.parameters.values() if p.name not in ("self", "cls")]
    ret_doc = (dm.get("return") or {}).get("docment") or ""
    if not inspect.isclass(sym) and (sig.return_annotation is not sig.empty or ret_doc):
        rows.append(("<strong>Returns</strong>", "" if sig.return_annotation is sig.empty else
                     f"<code>{html.escape(_anno(sig.return_annotation))}</code>", "", _code_html(ret_doc)))
    if not rows: return ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return ('<table class="st-params"><thead><tr><th></th><th>Type</th><th>Default</th><th>Details</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _lookup(name: str):
    "nbdev's (doc URL, source file, GitHub URL) for `name` (e.g. `eval_ensemble`, `Trainer.fit`) of this package, or None."
    res = NbdevLookup()[name]
    return res if isinstance(res, tuple) else None


def library_object(name: str):
    "The package's own object called `name`: it has a source file, unlike the notebook's copy (dataclass comments)."
    if not (res := _lookup(name)): return None
    try: return functools.reduce(getattr, name.split("."), importlib.import_module(res[1].removesuffix(".py").replace("/", ".")))
    except (ImportError, AttributeError): return None


def source_url(name: str) -> str | None:
    "Link to the line defining `name` in the repository, from nbdev's symbol index."
    if not (res := _lookup(name)): return None
    _, py, gh = res
    line = _get_exps(py).get(name)
    return f"{gh}#L{line}" if line else gh


def _slug(s: str) -> str:
    "The heading id mkdocs-jupyter gives `s`."
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", s).strip().lower())


class DocsRenderer(BasicMarkdownRenderer):
    "`show_doc` for the MkDocs site: heading, link to the source, signature, docstring and the docments parameter table."
    def _repr_markdown_(self):
        anchor = self.nm.lower()  # the anchor nbdev's doc links point at
        parts = [f"{'#' * self.title_level} {self.nm}"]
        if _slug(self.nm) != anchor: parts.insert(0, f'<a id="{anchor}"></a>')
        if url := source_url(self.nm): parts.append(f'<p class="st-source"><a href="{url}" target="_blank">source</a></p>')
        obj = library_object(self.nm) or self.sym
        if sig := signature_text(obj, self.nm.split(".")[-1]): parts.append(f"```python\n{sig}\n```")
        if self.docs: parts.append(self.docs)
        if table := param_table(obj): parts.append(table)
        return "\n\n".join(parts)


# ---------------------------------------------------------------- notebook processors

class ExecCells(Processor):
    "Execute the notebook's code cells in order, skipping them as `nbdev_test` does: `eval: false` and unrequested flags."
    def __init__(self, nb, path: Path, skip_flags: set):
        super().__init__(nb)
        self.path, self.skip_flags = path, skip_flags

    def _skip(self, cell) -> bool:
        d = cell.directives_ or {}
        return (cell.cell_type != "code" or "nbdev_export(" in cell.source
                or d.get("eval:", [""])[0].lower() == "false" or bool(self.skip_flags & d.keys()))

    def begin(self):
        self.shell = CaptureShell(self.path)
        self.shell.run_cell("from nbdev.showdoc import show_doc")
        with working_directory(self.path.parent):
            for cell in self.nb.cells:
                if self._skip(cell): continue
                self.shell.cell(cell)
                if self.shell.exc: raise RuntimeError(self.shell.prettytb(fname=self.path))


def quarto_options(cell):
    "Apply the Quarto cell options nbdev leaves in the source (`echo`, `output`, `include`) and drop their lines."
    if cell.cell_type != "code": return
    d = cell.directives_ or {}
    if d.get("include:", [""])[0] == "false": del cell["source"]; return
    if d.get("output:", [""])[0] == "false": cell.outputs = []
    if d.get("echo:", [""])[0] == "false": cell.metadata.setdefault("tags", []).append("remove_input")
    cell.source = re.sub(r"\A(?:#\|.*\n?)+", "", cell.source)


_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*\|.*(?:\n|\Z)", re.M)  # `#| export`, `#|slow`, `# | hide`, `#| echo: false`
_TEST_CALL = re.compile(r"test(_\w+)?$")                       # fastcore.test: test_eq, test_fail, test_close, ...


def _is_test(st: ast.stmt) -> bool:
    "Whether statement `st` only checks: an `assert`, a `test_*(...)` call, a loop of those, `with ExceptionExpected(...)`."
    if isinstance(st, ast.Assert): return True
    if isinstance(st, ast.Expr):
        f = st.value.func if isinstance(st.value, ast.Call) else None
        return isinstance(f, ast.Name) and bool(_TEST_CALL.match(f.id))
    if isinstance(st, ast.For): return not st.orelse and all(map(_is_test, st.body))
    if isinstance(st, ast.With):
        return all(isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "id", None) == "ExceptionExpected"
                   for i in st.items)
    return False


def is_test_cell(source: str) -> bool:
    "Whether the code `source` is only tests (directive, magic and comment lines aside): readers need not see it."
    code = "\n".join(l for l in _DIRECTIVE.sub("", source).splitlines() if not l.lstrip().startswith(("%", "!")))
    try: body = ast.parse(code).body
    except SyntaxError: return False
    return bool(body) and all(map(_is_test, body))


def strip_tests(source: str) -> str:
    "`source` without its top-level test statements that have their lines to themselves, nor the comment lines just above them."
    try: body = ast.parse(source).body
    except SyntaxError: return source  # magics, or not Python: shown as it is
    owners = collections.Counter(n for st in body for n in range(st.lineno, st.end_lineno + 1))
    lines, drop = source.splitlines(), set()
    for st in body:
        span = range(st.lineno, st.end_lineno + 1)
        if not _is_test(st) or any(owners[n] > 1 for n in span): continue
        drop.update(span)
        above = st.lineno - 1
        while above >= 1 and lines[above - 1].lstrip().startswith("#") and not lines[above - 1].startswith("#|"):
            drop.add(above); above -= 1
    kept = [l for n, l in enumerate(lines, 1) if n not in drop]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def hide_tests(cell):
    "Drop code cells that are only tests (`test_eq`, `test_fail`, `test_close`, `assert`, ...), and the test lines of the others: they ran; pages skip them."
    if cell.cell_type != "code": return
    if is_test_cell(cell.source): del cell["source"]
    else: cell.source = strip_tests(cell.source)


_WARNING = re.compile(r"^\S.*?:\d+: \w*Warning: ")  # the first line of a `warnings` message: file:line: Category: text


def _plain_stderr_text(text: str) -> str:
    "`text` of a stderr stream without tqdm progress bars and Python warnings (each up to its indented source line)."
    out, lines, i = [], text.splitlines(keepends=True), 0
    while i < len(lines):
        line = lines[i]
        if _WARNING.match(line):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("  "): j += 1
            i = j + 1 if j < len(lines) else i + 1  # through the source line it quotes; just the header without one
            continue
        if "\r" not in line and not re.search(r"\d+%\|.*\|\s*\d+/\d*", line): out.append(line)  # tqdm redraws with \r
        i += 1
    return "".join(out)


def plain_stderr(cell):
    "Show stderr output (the package's log lines, CLI messages) as plain text, not in a red box; drop progress bars and warnings."
    if cell.cell_type != "code" or not cell.get("outputs"): return
    outs = []
    for o in cell.outputs:
        if o.get("output_type") == "stream" and o.get("name") == "stderr":
            text = _plain_stderr_text("".join(o.text) if isinstance(o.text, list) else o.text)
            if not text.strip(): continue
            o.name, o.text = "stdout", text
        outs.append(o)
    cell.outputs = outs


_FIGURE_REPR = re.compile(r"<Figure size \S+ with \d+ Axes>")


def one_figure(cell):
    "Drop the inline backend's copy of a figure the cell also returns (`fig` as its last line): show each plot once."
    outs = cell.get("outputs") or []
    def text(o): return "".join(o.get("data", {}).get("text/plain", ""))
    returned = {text(o) for o in outs if o.get("output_type") == "execute_result" and _FIGURE_REPR.fullmatch(text(o))}
    if returned: cell.outputs = [o for o in outs if not (o.get("output_type") == "display_data" and text(o) in returned)]


def strip_directives(cell):
    "Drop every `#|` line left in a code cell, and the cell when nothing is left to show."
    if cell.cell_type != "code": return
    cell.source = _DIRECTIVE.sub("", cell.source)
    if not cell.source.strip() and not cell.get("outputs"): del cell["source"]


# What a page shows of an executed notebook: nbdev's processors, then the ones above, then the Quarto options.
PAGE_PROCS = [strip_ansi, hide_line, filter_stream_, rm_header_dash, rm_export, hide_, hide_tests, plain_stderr, one_figure,
              clean_magics, quarto_options, strip_directives]


def page_cells(nb: dict) -> list:
    "The cells of notebook `nb` (an .ipynb dict, executed or not) as its page shows them, after `PAGE_PROCS`; `nb` is left as it is."
    nb = dict2nb(copy.deepcopy(nb))
    NBProcessor(nb=nb, procs=[populate_language, *PAGE_PROCS], process=True)
    return nb.cells


def showdoc_markdown(cell):
    "Turn an executed `show_doc` cell into a markdown cell of its output, so its heading joins the page's contents."
    if cell.cell_type != "code" or not cell.source.startswith("show_doc("): return
    md = [o.data["text/markdown"] for o in cell.get("outputs", []) if "text/markdown" in o.get("data", {})]
    if not md: return
    cell.cell_type, cell.source = "markdown", "".join(md[0]) if isinstance(md[0], list) else md[0]
    for k in ("outputs", "execution_count"): cell.pop(k, None)


def tidy(cell):
    "Drop bookkeeping nbdev and execnb left on the cell, and the outputs of cells that were not run."
    cell.pop("has_sd", None)
    if cell.cell_type == "code" and not cell.get("outputs"): cell.execution_count = None


def _relative_links(depth: int):
    "A processor rewriting links to the published site into links relative to a page `depth` folders down."
    cfg = get_config()
    site = f"{cfg.doc_host.rstrip('/')}{cfg.doc_baseurl.rstrip('/')}/"
    up = "../" * depth
    def proc(cell):
        if cell.cell_type == "markdown": cell.source = NbdevLookup().linkify(cell.source).replace(site, up)
    return proc


def process_nb(src: Path, dst: Path, skip_flags: set) -> float:
    "Process, execute and write notebook `src` to `dst`; return the seconds it took."
    start = time.time()
    nbdev.showdoc.BasicMarkdownRenderer = DocsRenderer  # `show_doc` looks its default renderer up at call time
    os.environ["IN_TEST"] = "1"                         # as under nbdev_test
    nb = read_nb(src)
    depth = len(dst.relative_to(BUILD).parts) - 1
    procs = [populate_language, add_show_docs, mv_exports, ExecCells(nb, src, skip_flags), *PAGE_PROCS, showdoc_markdown,
             _relative_links(depth), strip_hidden_metadata, tidy]
    NBProcessor(nb=nb, procs=procs, process=True)
    nb.metadata["sol_trainer_docs"] = {"skip_flags": sorted(skip_flags)}
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_nb(nb, dst)
    return time.time() - start


def _run_one(job) -> tuple[str, float, str | None]:
    "Worker: process one notebook, returning (name, seconds, error or None)."
    src, dst, skip_flags = job
    try: return src.name, process_nb(src, dst, skip_flags), None
    except Exception: return src.name, 0.0, traceback.format_exc()


# ---------------------------------------------------------------- the site

def notebooks() -> list[Path]:
    "The notebooks nbdev finds under nbs/ (the ones nbdev_test runs), in notebook order."
    return sorted(nbglob(get_config().nbs_path, as_path=True), key=lambda p: (len(p.parts), str(p)))


def page_path(nb: Path) -> Path:
    "Where notebook `nb` lands in the build folder: nbdev's doc path (`06_infer.ipynb` -> `infer`)."
    return BUILD / _nbpath2html(nb.relative_to(get_config().nbs_path)).with_suffix(".ipynb")


def title(nb: Path) -> str:
    "The notebook's `# Title` (its file name when it has none)."
    for cell in read_nb(nb).cells:
        if cell.cell_type == "markdown" and (m := re.search(r"^#\s+(.+)$", cell.source, re.M)): return m.group(1).strip()
    return nb.stem


def nav(nbs: list[Path]) -> list:
    "The sidebar: Home, then the tutorials, then the chapters, each in notebook order."
    nbs_path, home, sections = get_config().nbs_path, [], {}
    for nb in nbs:
        rel, path = nb.relative_to(nbs_path), page_path(nb).relative_to(BUILD).as_posix()
        if rel == Path("index.ipynb"): home = [{"Home": path}]
        else: sections.setdefault(rel.parent.as_posix(), []).append({title(nb): path})
    chapters = sections.pop(".", [])
    return home + [{k.replace("_", " ").capitalize(): v} for k, v in sections.items()] + [{"Chapters": chapters}]


def selected(nbs: list[Path], only=()) -> list[Path]:
    "The notebooks of `nbs` named by `only` (paths or file names, e.g. `nbs/07_reports.ipynb`, `07_reports`); all when empty."
    if not only: return list(nbs)
    want = {Path(o).name.removesuffix(".ipynb") for o in only}
    out = [nb for nb in nbs if nb.stem in want]
    if missing := want - {nb.stem for nb in out}: sys.exit(f"docs: no notebook {', '.join(sorted(missing))} under nbs/")
    return out


def _stale(src: Path, dst: Path, deps: list[Path], skip_flags: set) -> bool:
    "Whether `dst` must be made again from `src`."
    if not dst.exists(): return True
    if dst.stat().st_mtime < max(p.stat().st_mtime for p in [src, *deps]): return True
    return read_nb(dst).metadata.get("sol_trainer_docs", {}).get("skip_flags") != sorted(skip_flags)


def build(force=False, flags="", n_workers=None, strict=False, only=()):
    "Process and execute the notebooks that changed (only those in `only` when given), then render the site with MkDocs."
    cfg = get_config()
    skip_flags = set(cfg.tst_flags.split()) - set(flags.split())
    nbs = notebooks()
    deps = [Path(__file__), *cfg.lib_path.glob("*.py")]
    chosen = selected(nbs, only)
    jobs = [(nb, page_path(nb), skip_flags) for nb in chosen if force or _stale(nb, page_path(nb), deps, skip_flags)]
    if only and (kept := [nb for nb in nbs if nb not in chosen and page_path(nb).exists()]):
        print(f"--only: {len(kept)} page(s) of other notebooks are kept from earlier builds as they are", flush=True)
    keep = {page_path(nb) for nb in nbs}
    for old in BUILD.rglob("*.ipynb") if BUILD.exists() else []:
        if old not in keep: old.unlink()
    if jobs:
        print(f"Executing {len(jobs)} of {len(nbs)} notebooks", flush=True)
        n_workers = min(len(jobs), os.cpu_count() or 1, 8) if n_workers is None else n_workers
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # share the cores: oversubscribed BLAS threads crawl
            os.environ.setdefault(var, str(max(1, (os.cpu_count() or 1) // max(n_workers, 1))))
        results = parallel(_run_one, jobs, n_workers=n_workers, pause=0.01)
        failed = [(name, err) for name, _, err in results if err]
        for name, err in failed: sys.stderr.write(f"\n{'=' * 60}\n{name} failed:\n{err}\n")
        for name, secs, err in sorted(results, key=lambda r: -r[1]):
            if not err: print(f"  {name}: {secs:.1f} s")
    else: failed = []
    for f in MKDOCS_YML.parent.glob("*.css"): shutil.copy2(f, BUILD / f.name)  # the site's extra stylesheets
    render(nav([nb for nb in nbs if page_path(nb).exists()]), strict)  # pages of failed notebooks are left out
    if failed: sys.exit(f"docs: {len(failed)} notebook(s) failed: {', '.join(n for n, _ in failed)}")


def render(nav_: list, strict: bool):
    "Render the processed notebooks into _docs/ with MkDocs (config: docs/mkdocs.yml, sidebar `nav_`)."
    import logging
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("traitlets").setLevel(logging.ERROR)  # nbconvert's note that plots have no alt text, per page
    mkdocs_build(load_config(str(MKDOCS_YML), nav=nav_, strict=strict))
    print(f"Site written to {SITE.relative_to(ROOT)}/ (open {SITE.relative_to(ROOT)}/index.html)")


def main():
    "Command line: see the module docstring."
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="execute every notebook again")
    ap.add_argument("--flags", default="", help="space-separated test flags whose cells to run (e.g. 'slow')")
    ap.add_argument("--n_workers", type=int, default=None, help="parallel notebooks (default: CPUs, at most 8)")
    ap.add_argument("--strict", action="store_true", help="make MkDocs warnings errors")
    ap.add_argument("--only", nargs="+", default=(), metavar="NOTEBOOK",
                    help="execute just these notebooks (e.g. nbs/07_reports.ipynb 03d_metrics); pages built before are kept")
    args = ap.parse_args()
    os.chdir(ROOT)
    build(args.force, args.flags, args.n_workers, args.strict, args.only)


if __name__ == "__main__":
    import docs  # run as the module `docs` (this file; .ci/ is on sys.path): IPython takes over `__main__` in the workers
    docs.main()
