"The package's layers: no import circle between its modules, and predicting with a saved model imports nothing of training."
import ast
import re
import subprocess
import sys
from pathlib import Path

import sol_trainer

PACKAGE = Path(sol_trainer.__file__).parent


def module_imports() -> dict[str, set[str]]:
    "Each module of the package and the package modules it imports, at the top or inside a function (an import on use is still a dependency)."
    graph = {}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name.startswith("_"): continue
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module: found.add(node.module.split(".")[0])
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("sol_trainer."):
                found.add(node.module.split(".")[1])
        graph[path.stem] = found
    return graph


def test_no_import_circle():
    graph, done, path = module_imports(), set(), []

    def visit(module):
        if module in path: raise AssertionError(f"import circle: {' -> '.join(path[path.index(module):] + [module])}")
        if module in done: return
        path.append(module)
        for dep in sorted(graph.get(module, ())): visit(dep)
        path.pop(); done.add(module)

    for module in graph: visit(module)


TRAINING = ("sol_trainer.train", "sol_trainer.searchers", "sol_trainer.kfold_search", "sol_trainer.executors", "sol_trainer.recipes",
            "skopt", "distributed", "dask", "sklearn.model_selection")


def test_loading_and_predicting_import_nothing_of_training():
    code = ("import sys, sol_trainer.load, sol_trainer.infer\n"
            f"print(sorted(m for m in {TRAINING!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_short_api_is_found_on_use():
    code = ("import sys, sol_trainer as st\nlight = 'torch' not in sys.modules\n"
            "print(light, all(getattr(st, n) is getattr(getattr(st, m), n) for n, m in st.API.items()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"], done.stdout + done.stderr


def chapter_of(module: str) -> str:
    "The notebook a module is exported from, as its header names it."
    found = re.search(r"File to edit: \.\./nbs/(\S+)\.ipynb", (PACKAGE / f"{module}.py").read_text())
    return found.group(1)


def test_chapters_come_in_the_order_of_their_imports():
    "A chapter imports only from chapters before it, so the notebooks read (and run) front to back."
    later = [f"{m} ({chapter_of(m)}) imports {d} ({chapter_of(d)})" for m, deps in module_imports().items() for d in sorted(deps)
             if (PACKAGE / f"{d}.py").exists() and chapter_of(d) > chapter_of(m)]
    assert not later, "\n".join(later)


def test_renamed_modules_keep_their_old_names():
    "Code, YAML configs and def.py files written before the modules were renamed name them by their old names."
    code = ("import sol_trainer as st\nfrom sol_trainer.tune import Hyperparameters, hyperband\nfrom sol_trainer.files import predict_table\n"
            "from sol_trainer.config import import_object\nimport sol_trainer.cluster, sol_trainer.search\n"
            "print(st.parse is st.reports, Hyperparameters is st.searchers.SearchSpace, hyperband is st.searchers.hyperband,\n"
            "      predict_table is st.tables.predict_table, sol_trainer.cluster is st.executors, st.search is st.kfold_search,\n"
            "      import_object('sol_trainer.parse.read_history') is st.reports.read_history)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True"] * 7, done.stdout + done.stderr
