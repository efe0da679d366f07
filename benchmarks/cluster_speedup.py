"""The 5-fold ensemble and a 12-trial Bayesian search of the demo's vector recipe on the bundled multi-task data (pIC50
and TPSA), serial against a Dask LocalCluster, side by side in one run.

The data are prepared once (Morgan counts + RDKit descriptors but TPSA, clipped). Each ensemble run trains into a fresh
copy of that prepared root with the recipe's base hyperparameters, epochs and patience; each search run is
`bayes_search` over the recipe's space, 12 trials of 2 folds at the recipe's trial epochs, proposing 2 points at a time
(`n_points=2` in every run, so all runs try the same configurations). Four runs of each, wall time including the
cluster's start and stop:
  serial, 1 torch thread      vs  `executor="local:1"` (one single-threaded worker): the cost of the Dask path;
  serial, 2 torch threads     vs  `executor="local:2"` (two single-threaded workers): the speed-up on this machine.

    .venv/bin/python benchmarks/cluster_speedup.py [--only ensemble|search] [--out benchmarks/results/cluster_speedup.json]
"""
import argparse, json, shutil, tempfile, time
from pathlib import Path

import pandas as pd
import torch

from sol_trainer.cli import DEMO_RECIPES
from sol_trainer.datasets import load_multitask
from sol_trainer.prepare import prepare_train
from sol_trainer.kfold_search import bayes_search
from sol_trainer.train import TrainConfig, train_kfold_ensemble
from sol_trainer.utils import LOCK_FILE

RUNS = [("serial, 1 thread", None, 1), ("local:1", "local:1", 1), ("serial, 2 threads", None, 2), ("local:2", "local:2", 1)]
SEARCH_TRIALS, SEARCH_POINTS = 12, 2

def ensemble_run(recipe, df, scalers, template: Path, root: Path, executor) -> dict:
    "Train the recipe's ensemble into a copy of the prepared root; return its fold losses."
    shutil.copytree(template, root, ignore=shutil.ignore_patterns(f"{LOCK_FILE}*"))
    tc = TrainConfig(hps=recipe.base(), epochs=recipe.epochs, patience=recipe.patience, progress=False)
    losses = train_kfold_ensemble(df, recipe.model, dict(recipe.model_kwargs), tc, scaler_dict=scalers, root_dir=root,
                                  n_fold=recipe.n_fold, random_seed=0, executor=executor)
    return {"val_losses": [round(l, 5) for l in losses]}

def search_run(recipe, df, scalers, template: Path, root: Path, executor) -> dict:
    "Run the 12-trial search; return its results table's scores."
    tc = TrainConfig(hps=recipe.base(), epochs=recipe.search_epochs, patience=recipe.patience, progress=False)
    trials = root.with_suffix(".csv")
    bayes_search(df, scalers, recipe.model, recipe.space(), tc, n_calls=SEARCH_TRIALS, n_initial_points=3, n_fold=recipe.search_folds,
                 random_seed=0, trials_path=trials, submodel_kwargs_dict=recipe.model_kwargs, executor=executor, n_points=SEARCH_POINTS)
    return {"scores": [round(s, 5) for s in pd.read_csv(trials)["score"]]}

PARTS = {"ensemble": ensemble_run, "search": search_run}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=list(PARTS), default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    recipe = DEMO_RECIPES["vector"]()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "prepared"
        df, scalers = prepare_train(load_multitask(), recipe.make_featurizers(), root_dir=template, progress=False, clip=recipe.clip)
        for part, run in PARTS.items():
            if args.only not in (None, part): continue
            for name, executor, threads in RUNS:
                root = Path(folder) / f"{part}_{name.replace(' ', '_').replace(',', '').replace(':', '')}"
                torch.set_num_threads(threads)
                start = time.monotonic()
                outcome = run(recipe, df, scalers, template, root, executor)
                results.append({"part": part, "run": name, "seconds": round(time.monotonic() - start, 1), **outcome})
                print(json.dumps(results[-1]), flush=True)
            by = {r["run"]: r["seconds"] for r in results if r["part"] == part}
            print(f"{part}: Dask overhead, 1 worker vs serial on 1 thread: {by['local:1'] / by['serial, 1 thread'] - 1:+.1%}; "
                  f"speed-up, 2 workers vs serial on 2 threads: {by['serial, 2 threads'] / by['local:2']:.2f}x "
                  f"(vs serial on 1 thread: {by['serial, 1 thread'] / by['local:2']:.2f}x)", flush=True)
    if args.out: Path(args.out).write_text(json.dumps(results, indent=1))

if __name__ == "__main__": main()
