"""Write README.md from nbs/index.ipynb without Quarto: markdown cells as they are, code cells as fenced Python.

    python .ci/readme.py           # rewrite README.md
    python .ci/readme.py --check   # exit 1 if README.md is out of date
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cell_markdown(cell: dict) -> str | None:
    "The cell as README markdown, or None for cells hidden with `#| hide`."
    lines = "".join(cell["source"]).splitlines()
    directives = [l.removeprefix("#|").strip() for l in lines if l.startswith("#|")]
    if "hide" in directives: return None
    body = "\n".join(l for l in lines if not l.startswith("#|")).strip()
    if not body: return None
    return body if cell["cell_type"] == "markdown" else f"```python\n{body}\n```"


def render(nb_path: Path) -> str:
    cells = json.loads(nb_path.read_text())["cells"]
    parts = [md for md in map(cell_markdown, cells) if md is not None]
    return "\n\n".join(parts) + "\n"


def main():
    text, readme = render(ROOT / "nbs" / "index.ipynb"), ROOT / "README.md"
    if "--check" in sys.argv:
        if readme.read_text() != text: sys.exit("README.md is out of date: run `python .ci/readme.py`")
        return
    readme.write_text(text)


if __name__ == "__main__":
    main()
