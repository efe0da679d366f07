"""chemprop, the peer tool of the benchmark, trained and run through its CLI in its own venv.

chemprop is no dependency of sol_trainer and is never imported here: `run_chemprop` writes CSVs and calls
`benchmarks/.venv-chemprop/bin/chemprop` (made by `bash benchmarks/chemprop_venv.sh`) in subprocesses.

chemprop keeps its CLI defaults (a D-MPNN, 50 epochs, batch 64, random split) except for the ensemble size, sequential
data loading, CPU, fixed seeds, and `--split-sizes 0.9 0.1 0.0`: the training CSV is split only into chemprop's own
train / validation parts (the validation part picks each member's best epoch), since the separate test frame plays the
part of the 10 % internal test split that the default would hold back unused.
"""
import os, shutil, subprocess, time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

CHEMPROP = Path(__file__).resolve().parent / ".venv-chemprop" / "bin" / "chemprop"
SEED = 0


def _write_csv(frame: pd.DataFrame, path: Path, smiles_column: str, target_column: str):
    "Write `frame` as a chemprop CSV with columns smiles, target."
    missing = [c for c in (smiles_column, target_column) if c not in frame.columns]
    if missing: raise KeyError(f"{path.stem} frame lacks column(s) {missing}; it has {list(frame.columns)}")
    pd.DataFrame({"smiles": frame[smiles_column].to_numpy(), "target": frame[target_column].to_numpy()}).to_csv(path, index=False)


def _chemprop(args: list, workdir: Path, threads: int) -> float:
    "Run `chemprop ARGS` in `workdir` on `threads` CPU threads; return its wall time in seconds."
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "CUDA_VISIBLE_DEVICES": ""}
    start = time.perf_counter()
    done = subprocess.run([str(CHEMPROP), *map(str, args)], cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).splitlines()[-30:])
        raise RuntimeError(f"`chemprop {args[0]}` failed with exit code {done.returncode}; end of its output:\n{tail}")
    return time.perf_counter() - start


def run_chemprop(
    train: pd.DataFrame,  # training rows; chemprop splits them 90/10 into its own train / validation parts
    test: pd.DataFrame,  # rows to predict and score
    workdir: Path,  # folder for the CSVs, the trained models (its `models/` is replaced) and the predictions
    ensemble_size: int = 5,  # number of chemprop models, differing in their initial weights
    threads: int = 1,  # CPU threads of the chemprop processes
    epochs: int | None = None,  # training epochs of each model; None keeps chemprop's default (50)
    smiles_column: str = "smiles_string",  # column of SMILES in `train` and `test`
    target_column: str = "value",  # column of targets in `train` and `test`
) -> dict:
    "Train a chemprop ensemble on `train`, predict `test`, and score the ensemble mean and spread."
    if not CHEMPROP.exists(): raise FileNotFoundError(f"{CHEMPROP} is missing: run `bash benchmarks/chemprop_venv.sh` first")
    if ensemble_size < 2: raise ValueError(f"ensemble_size must be at least 2 for an ensemble spread, got {ensemble_size}")
    start = time.perf_counter()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    train_csv, test_csv, models, preds = (workdir / n for n in ("train.csv", "test.csv", "models", "preds.csv"))
    _write_csv(train, train_csv, smiles_column, target_column)
    _write_csv(test, test_csv, smiles_column, target_column)
    shutil.rmtree(models, ignore_errors=True)
    train_seconds = _chemprop(
        ["train", "-i", train_csv, "-s", "smiles", "--target-columns", "target",
         "-o", models, "--ensemble-size", ensemble_size, "--split-sizes", 0.9, 0.1, 0.0,
         "--data-seed", SEED, "--pytorch-seed", SEED, "--num-workers", 0, "--accelerator", "cpu", "--devices", 1,
         *(["--epochs", epochs] if epochs is not None else [])], workdir, threads)
    members = sorted(models.glob("model_*/best.pt"), key=lambda p: int(p.parent.name.split("_")[1]))
    if len(members) != ensemble_size: raise RuntimeError(f"chemprop saved {len(members)} models in {models}, not {ensemble_size}")
    predict_seconds = _chemprop(
        ["predict", "-i", test_csv, "-s", "smiles", "-o", preds, "--model-paths", *members,
         "--uncertainty-method", "ensemble", "--num-workers", 0, "--accelerator", "cpu", "--devices", 1], workdir, threads)
    individual = pd.read_csv(preds.with_name(preds.stem + "_individual.csv"))
    if len(individual) != len(test): raise RuntimeError(f"chemprop predicted {len(individual)} of the {len(test)} test rows")
    each = individual[[f"target_model_{i}" for i in range(ensemble_size)]].to_numpy()
    mean, std = each.mean(axis=1), each.std(axis=1)
    err = mean - test[target_column].to_numpy()
    return {"rmse": float(np.sqrt(np.mean(err**2))),
            "spearman_abs_err_vs_std": float(spearmanr(np.abs(err), std).statistic),
            "train_seconds": train_seconds, "predict_seconds": predict_seconds, "seconds": time.perf_counter() - start,
            "n_train": len(train), "n_test": len(test), "mean": mean, "std": std}
