"The exported modules keep to 120 columns (nbdev's generated `__all__` and the chapter summary on line 1 aside)."
from pathlib import Path

import sol_trainer

PACKAGE = Path(sol_trainer.__file__).parent
LIMIT = 120


def long_lines(path: Path) -> list[str]:
    "`file:line (width)` for each line of `path` over the limit, skipping nbdev's generated `__all__` and module docstring."
    found, in_all = [], False
    for number, line in enumerate(path.read_text().split("\n"), start=1):
        in_all = in_all or line.startswith("__all__")
        if in_all:
            in_all = not line.rstrip().endswith("]")
            continue
        if number > 1 and len(line) > LIMIT: found.append(f"{path.name}:{number} ({len(line)})")
    return found


def test_exported_modules_keep_to_120_columns():
    found = [f for path in sorted(PACKAGE.glob("*.py")) if path.name != "_modidx.py" for f in long_lines(path)]
    assert not found, f"{len(found)} lines over {LIMIT} columns (wrap them in the notebooks): " + ", ".join(found[:40])
