"""Bayesian (Gaussian-process) against random search at equal trial count, on the bundled pIC50 data.

Both searches use the same space (`default_space`: log-uniform learning rate, batch size, dropout, capacity), the same
objective (`kfold_objective`: mean best validation loss of an Mlp over 2 grouped folds, 8 epochs each, 2048-bit Morgan bits
of the 80 % training split that the demo uses) and the same number of trials. Neither starts from a base configuration.
Printed: the best loss found after each number of trials, per seed and averaged over the seeds; then the test RMSE
(pIC50 units) of a single model trained with each search's winner on the whole training split.

    .venv/bin/python benchmarks/search_comparison.py [--trials 10] [--seeds 0 1 2] [--epochs 8]
"""
import argparse, dataclasses, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from sol_trainer.datasets import load_pic50
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.prepare import frame_tensors, prepare_infer, prepare_train
from sol_trainer.kfold_search import default_space, kfold_objective
from sol_trainer.train import submodel_kwargs
from sol_trainer.train import TrainConfig, fit_submodel
from sol_trainer.searchers import bayes_opt, hyp_opt
from sol_trainer.utils import seed_everything


def best_so_far(results: pd.DataFrame) -> np.ndarray:
    return np.minimum.accumulate(results["metric.loss"].to_numpy())


def test_rmse(df, scalers, test_df, hps, epochs, seed):
    "RMSE in pIC50 units of one Mlp trained with `hps` on all training rows, on the held-out rows."
    seed_everything(seed)
    model = Mlp(**submodel_kwargs(Mlp, df, hps, None))
    tc = TrainConfig(hps=hps, epochs=epochs, progress=False, random_seed=seed)
    fit_submodel(model, df, None, scalers, tc)
    model.eval()
    with torch.no_grad():
        pred = model(frame_tensors(test_df))[:, 0].cpu().numpy().astype(np.float64)
    pred = scalers["pIC50"].inverse_transform(pred)
    truth = test_df["value"].to_numpy().astype(np.float64)
    return float(np.sqrt(np.mean((pred - truth) ** 2)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--initial", type=int, default=3, help="random points before the Gaussian process")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args()

    data = load_pic50()
    train, test = train_test_split(data, test_size=0.2, random_state=0)
    fz = MorganFeaturizer(n_bits=2048)
    root = tempfile.mkdtemp()
    df, scalers = prepare_train(train.reset_index(drop=True), fz, root_dir=root, progress=False)
    test_df = prepare_infer(test.reset_index(drop=True), fz, root, progress=False)
    tc = TrainConfig(hps=HpConfig(), epochs=args.epochs, progress=False)
    curves, rmses = {"random": [], "bayes": []}, {"random": [], "bayes": []}
    for seed in args.seeds:
        objective = kfold_objective(df, scalers, Mlp, tc, n_fold=2, random_seed=seed)
        space = default_space(objective.n_rows)
        for name in ("random", "bayes"):
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as folder:
                if name == "random": results = hyp_opt(space, objective, args.epochs, args.trials, Path(folder), seed)
                else: results = bayes_opt(space, objective, args.trials, args.epochs, Path(folder), seed, args.initial)
            curve = best_so_far(results)
            winner = results.loc[results["score"].idxmax()]
            hps = HpConfig().set_values({n: winner[f"param.{n}"] for n in space.names})
            rmses[name].append(test_rmse(df, scalers, test_df, hps, args.epochs, seed))
            curves[name].append(curve)
            print(f"seed {seed} {name:>6}: best k-fold loss {curve[-1]:.4f}  test RMSE {rmses[name][-1]:.3f}  "
                  f"({time.perf_counter() - start:.0f} s)  winner {dict((n, round(float(winner[f'param.{n}']), 5)) for n in space.names)}", flush=True)
    print("\nbest k-fold validation loss (scaled units) after n trials, mean over seeds", args.seeds)
    print("n      " + " ".join(f"{n:>7d}" for n in range(1, args.trials + 1)))
    for name in ("random", "bayes"):
        print(f"{name:<7}" + " ".join(f"{v:7.4f}" for v in np.mean(curves[name], axis=0)))
    for name in ("random", "bayes"):
        print(f"{name:<7} final best loss {np.mean([c[-1] for c in curves[name]]):.4f}   "
              f"test RMSE of the winner {np.mean(rmses[name]):.3f} (per seed {', '.join(f'{v:.3f}' for v in rmses[name])})")


if __name__ == "__main__":
    main()
