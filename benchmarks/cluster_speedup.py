"""The 5-fold ensemble of the demo's vector recipe on the bundled multi-task data (pIC50 and TPSA), serial against a Dask
LocalCluster, side by side in one run.

The data are prepared once (Morgan counts + RDKit descriptors but TPSA, clipped) and each run trains into a fresh copy
of that prepared root, with the recipe's base hyperparameters, epochs and patience. Four runs, wall time each,
including the cluster's start and stop:
  serial, 1 torch thread      vs  `executor="local:1"` (one single-threaded worker): the cost of the Dask path;
  serial, 2 torch threads     vs  `executor="local:2"` (two single-threaded workers): the speed-up on this machine.

    .venv/bin/python benchmarks/cluster_speedup.py [--out benchmarks/results/cluster_speedup.json]
"""
import argparse, json, shutil, tempfile, time
from pathlib import Path

import torch

from sol_trainer.cli import DEMO_RECIPES
from sol_trainer.datasets import load_multitask
from sol_trainer.prepare import prepare_train
from sol_trainer.train import TrainConfig, train_kfold_ensemble
from sol_trainer.utils import LOCK_FILE

RUNS = [("serial, 1 thread", None, 1), ("local:1", "local:1", 1), ("serial, 2 threads", None, 2), ("local:2", "local:2", 1)]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    recipe = DEMO_RECIPES["vector"]()
    tc = TrainConfig(hps=recipe.base(), epochs=recipe.epochs, patience=recipe.patience, progress=False)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "prepared"
        df, scalers = prepare_train(load_multitask(), recipe.make_featurizers(), root_dir=template, progress=False, clip=recipe.clip)
        for name, executor, threads in RUNS:
            root = Path(folder) / name.replace(" ", "_").replace(",", "").replace(":", "")
            shutil.copytree(template, root, ignore=shutil.ignore_patterns(f"{LOCK_FILE}*"))
            torch.set_num_threads(threads)
            start = time.monotonic()
            losses = train_kfold_ensemble(df, recipe.model, dict(recipe.model_kwargs), tc, scaler_dict=scalers, root_dir=root,
                                          n_fold=recipe.n_fold, random_seed=0, executor=executor)
            results.append({"run": name, "seconds": round(time.monotonic() - start, 1), "val_losses": [round(l, 5) for l in losses]})
            print(json.dumps(results[-1]), flush=True)
    by = {r["run"]: r["seconds"] for r in results}
    print(f"Dask overhead, 1 worker vs serial on 1 thread: {by['local:1'] / by['serial, 1 thread'] - 1:+.1%}")
    print(f"speed-up, 2 workers vs serial on 2 threads: {by['serial, 2 threads'] / by['local:2']:.2f}x "
          f"(vs serial on 1 thread: {by['serial, 1 thread'] / by['local:2']:.2f}x)")
    if args.out: Path(args.out).write_text(json.dumps(results, indent=1))

if __name__ == "__main__": main()
