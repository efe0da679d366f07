"""sol_trainer's default recipes against chemprop (a 5-model D-MPNN ensemble with its CLI defaults) on the bundled data.

For each property the data are split 80/20 (`train_test_split(..., test_size=0.2, random_state=0)`, as in
`sol_trainer demo`). Every method trains on the 80 % and predicts the 20 %; its wall time covers featurization, any
search, the ensemble and the prediction. The runs alternate their order between properties (the first property runs
chemprop first, the next one ours first, ...), so that a slow patch of the shared machine does not always hit one side.

chemprop runs through its CLI in its own venv (`benchmarks/chemprop_runner.py`); this script runs in sol_trainer's venv,
on the CPU, with the same number of threads on both sides. Results go to stdout (one JSON line per run, then a table
of ratios ours / chemprop) and to `--out`.

    .venv/bin/python benchmarks/vs_chemprop.py [--props pIC50 TPSA] [--ours graph vector] [--threads 1]
        [--max-rows N] [--epochs E] [--quick] [--out benchmarks/results/vs_chemprop.json]

The full run (both properties, both recipes) takes about an hour on 2 cores. A smoke test:

    .venv/bin/python benchmarks/vs_chemprop.py --max-rows 200 --epochs 3 --quick --out /tmp/vs_chemprop.json
"""
import os
os.environ["CUDA_VISIBLE_DEVICES"] = ""  # a CPU comparison on both sides: chemprop runs with the same setting

import argparse, dataclasses, json, math, platform, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.model_selection import train_test_split

import sol_trainer as st
from sol_trainer.datasets import load_pic50, load_tpsa
from sol_trainer.featurize import RDKit2DFeaturizer
from sol_trainer.recipes import RECIPES, train_recipe, vector_recipe
import sol_trainer.graphs, sol_trainer.mpnn  # imported before any timing: the first graph run would otherwise pay for torch_geometric alone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chemprop_runner import run_chemprop

LOADERS = {"pIC50": load_pic50, "TPSA": load_tpsa}
Z90 = 1.645  # mean ± Z90·std covers 90 % of a normal error
QUICK_RECIPE = {"search_calls": 2, "epochs": 5, "n_fold": 2}
QUICK_ENSEMBLE = 2


def split(prop: str, max_rows: int | None):
    "80/20 train / test frames of `prop`, subsampled to `max_rows` rows first when given."
    data = LOADERS[prop]()
    if max_rows and len(data) > max_rows: data = data.sample(max_rows, random_state=0)
    train, test = train_test_split(data, test_size=0.2, random_state=0)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _finite(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 4)


def scores(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> dict:
    "Test RMSE, Spearman correlation of |error| with the ensemble std, and coverage of mean ± 1.645 std."
    err = np.asarray(mean, np.float64) - np.asarray(y, np.float64)
    std = np.asarray(std, np.float64)
    return {"test_rmse": _finite(np.sqrt(np.mean(err**2))),
            "spearman_abs_err_vs_std": _finite(spearmanr(np.abs(err), std).statistic),
            "coverage90": _finite(np.mean(np.abs(err) <= Z90 * std))}


def chemprop_run(prop, train, test, args) -> dict:
    "chemprop ensemble with its CLI defaults; scores and wall time."
    with tempfile.TemporaryDirectory(prefix="vs_chemprop_") as work:
        r = run_chemprop(train, test, Path(work), ensemble_size=QUICK_ENSEMBLE if args.quick else 5,
                         threads=args.threads, epochs=args.epochs)
    return {"method": "chemprop", "prop": prop, **scores(test["value"], r["mean"], r["std"]),
            "seconds": round(r["seconds"], 1), "train_seconds": round(r["train_seconds"], 1),
            "predict_seconds": round(r["predict_seconds"], 1)}


def recipe_for(name: str, prop: str):
    "Our recipe `name` for `prop`; the vector recipe leaves out an RDKit descriptor that is the target itself (TPSA)."
    if name != "vector": return RECIPES[name]()
    return vector_recipe(exclude_descriptors=tuple(d for d in [prop] if d in RDKit2DFeaturizer().names))


def recipe_settings(recipe, changes: dict) -> dict:
    "What the run of `recipe` (with `changes`) uses: featurizers, model, base hyperparameters, search and ensemble sizes."
    r = dataclasses.replace(recipe, **changes)
    fields = {f.name: getattr(r, f.name) for f in dataclasses.fields(r) if f.name not in ("name", "featurizers", "model", "space")}
    return {"featurizers": [f.to_dict()["type"] + (f"({f.n_features})" if hasattr(f, "names") and f.names else "") for f in r.make_featurizers()],
            "model": r.model.__name__, **fields}


def ours_run(prop, train, test, recipe, args) -> dict:
    "Our `recipe` from featurization to test predictions; scores, out-of-fold RMSE and wall time."
    changes = QUICK_RECIPE if args.quick else {}
    with tempfile.TemporaryDirectory(prefix=f"vs_chemprop_{recipe}_") as work:
        root = Path(work) / "root"
        start = time.perf_counter()
        result = train_recipe(train, root, recipe_for(recipe, prop), seed=0, n_jobs=1, progress=False, **changes)
        y, mean, std, _ = st.infer.eval_ensemble(st.load.load_ensemble(root, device="cpu"), root, test)
        seconds = time.perf_counter() - start
    return {"method": f"ours-{recipe}", "prop": prop, **scores(y, mean, std), "seconds": round(seconds, 1),
            "oof_rmse": _finite(result["oof"][prop]["rmse"]), "recipe_seconds": result["seconds"],
            "hyperparameters": {k: result["hyperparameters"][k] for k in ("r_learn", "dropout_pct", "capacity")},
            "recipe": recipe_settings(recipe_for(recipe, prop), changes)}


def ratios(runs: list[dict]) -> list[dict]:
    "RMSE and time of each of our runs relative to chemprop on the same property."
    peer = {r["prop"]: r for r in runs if r["method"] == "chemprop"}
    out = []
    for r in runs:
        c = peer.get(r["prop"])
        if r["method"] == "chemprop" or c is None: continue
        out.append({"prop": r["prop"], "method": r["method"], "rmse": r["test_rmse"], "chemprop_rmse": c["test_rmse"],
                    "rmse_ratio": round(r["test_rmse"] / c["test_rmse"], 3), "seconds": r["seconds"],
                    "chemprop_seconds": c["seconds"], "time_ratio": round(r["seconds"] / c["seconds"], 3)})
    return out


def print_table(rows: list[dict]):
    print(f"\n{'prop':<6} {'method':<12} {'RMSE':>7} {'chemprop':>9} {'ratio':>6}   {'time s':>7} {'chemprop':>9} {'ratio':>6}")
    for r in rows:
        print(f"{r['prop']:<6} {r['method']:<12} {r['rmse']:7.3f} {r['chemprop_rmse']:9.3f} {r['rmse_ratio']:6.3f}   "
              f"{r['seconds']:7.1f} {r['chemprop_seconds']:9.1f} {r['time_ratio']:6.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--props", nargs="+", choices=list(LOADERS), default=list(LOADERS))
    ap.add_argument("--ours", nargs="+", choices=["graph", "vector"], default=["graph", "vector"], help="our recipes to run")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads of each side")
    ap.add_argument("--max-rows", type=int, default=None, help="subsample each property to N rows before splitting")
    ap.add_argument("--epochs", type=int, default=None, help="chemprop's epochs per model (smoke tests; default: its own 50)")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke test: our recipes with {QUICK_RECIPE}, chemprop with {QUICK_ENSEMBLE} models")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "vs_chemprop.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = {**{k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                "torch": torch.__version__, "sol_trainer": st.__version__, "cpus": os.cpu_count(), "machine": platform.machine()}
    runs = []
    for i, prop in enumerate(args.props):
        train, test = split(prop, args.max_rows)
        order = ["chemprop", *args.ours]
        for method in (order if i % 2 == 0 else order[::-1]):
            run = chemprop_run(prop, train, test, args) if method == "chemprop" else ours_run(prop, train, test, method, args)
            runs.append({**run, "n_train": len(train), "n_test": len(test)})
            print(json.dumps(runs[-1]), flush=True)
            args.out.write_text(json.dumps({"settings": settings, "runs": runs, "ratios": ratios(runs)}, indent=1))
    print_table(ratios(runs))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
