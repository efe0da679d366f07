"""Which σ should a calibrated ensemble report? Chosen on the panel's training rows only, never on its test rows.

For each panel set (`benchmarks/panel.py`: the same 80/20 split by molecule, seed 0), the training 80 % is split again
80/20 by molecule (seed 1). `train_recipe` runs with every default on the inner 80 %, and the inner 20 % are predicted
calibrated (σ_single: the out-of-fold-calibrated σ of one submodel's error, from the difficulty terms) and raw (`b`:
the spread between the submodels). Each candidate σ is scored on the inner 20 %: Spearman(|error|, σ), ENCE, and the
coverage of the 90 % conformal interval it gives (the interval is `mean ± q·σ` with the same conformal quantile `q`,
so its width scales with σ):
- `single`: σ_single (what `predict` reports);
- `subtracted`: √(max(σ_single² − b², b²/(K − 1))), the per-molecule variance identity sol_trainer used before;
- `spread`: b alone; `geometric`: √(σ_single·b), scaled to σ_single's mean square.

    .venv/bin/python benchmarks/sigma_choice.py --train [--sets freesolv pic50 radonpy lipophilicity]   # ~17 min
    .venv/bin/python benchmarks/sigma_choice.py                      # the scores, from the saved predictions

Measured 2026-12-07 (2 cores; `benchmarks/results/sigma_choice.json`), Spearman single / subtracted: FreeSolv 0.34 /
0.35, pIC50 0.09 / 0.04, lipophilicity 0.31 / 0.29, RadonPy Cp 0.25 / 0.20, density 0.34 / 0.29, refractive index
0.19 / 0.11; ENCE lower with `single` on 4 of 6 (one tie, one 0.01 higher); coverage 0.89-0.93 (single) against 0.86-0.92 (subtracted). The
spread alone ranks well on RadonPy (0.23-0.33) and not at all on FreeSolv (-0.02), so no fixed mix of it wins
everywhere, and the out-of-fold table cannot choose one (each row there has one submodel's prediction, no spread).
"""
import argparse, json, sys, tempfile
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panel import load_set, split  # the panel's sets and split

from sol_trainer.infer import predict
from sol_trainer.load import ModelRoot
from sol_trainer.metrics import ence
from sol_trainer.recipes import train_recipe

SAVED = Path(__file__).resolve().parent / "results" / "sigma_choice"
K = 5 # submodels of the default ensembles


def train(name: str):
    "Train on the inner 80 % of the set's training rows; save the inner 20 %'s predictions, σ_single and spread."
    inner_train, inner_test = split(split(load_set(name))[0], seed=1)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "model"
        report = train_recipe(inner_train, root, progress=False)
        opened = ModelRoot(root, device="cpu")
        calibrated, raw = predict(opened, inner_test), predict(opened, inner_test, calibrate=False)
    SAVED.mkdir(parents=True, exist_ok=True)
    np.savez(SAVED / f"{name}.npz", y=inner_test.value.to_numpy(float), mean=calibrated["mean"].to_numpy(float),
             s=calibrated["std"].to_numpy(float), b=raw["std"].to_numpy(float), sigma=calibrated["std"].to_numpy(float),
             lower=calibrated.lower.to_numpy(float), upper=calibrated.upper.to_numpy(float),
             props=inner_test.prop.to_numpy(str), recipe=report["recipe"])


def candidates(s: np.ndarray, b: np.ndarray) -> dict:
    geometric = np.sqrt(s * b)
    return {"single": s, "subtracted": np.sqrt(np.maximum(s ** 2 - b ** 2, b ** 2 / (K - 1))), "spread": b,
            "geometric": geometric * np.sqrt(np.mean(s ** 2) / np.mean(geometric ** 2))}


def scores(path: Path) -> dict:
    "Each candidate σ's Spearman, ENCE and 90 % coverage on the saved inner test rows, per property."
    d, out = np.load(path, allow_pickle=True), {}
    for p in sorted(set(d["props"])):
        m = d["props"] == p
        y, mean, sigma = d["y"][m], d["mean"][m], d["sigma"][m]
        error, half = np.abs(y - mean), (d["upper"][m] - d["lower"][m]) / 2
        out[p] = {name: {"spearman": round(float(spearmanr(error, v)[0]), 3), "ence": round(float(ence(y, mean, v)), 3),
                         "coverage90": round(float(np.mean(error <= half * v / sigma)), 3)}
                  for name, v in candidates(d["s"][m], d["b"][m]).items()}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["freesolv", "pic50", "radonpy", "lipophilicity"])
    ap.add_argument("--train", action="store_true", help="train and save the predictions first")
    args = ap.parse_args()
    if args.train:
        for name in args.sets: train(name)
    results = {name: scores(SAVED / f"{name}.npz") for name in args.sets}
    (SAVED.parent / "sigma_choice.json").write_text(json.dumps(results, indent=1))
    for name, props in results.items():
        for p, by in props.items():
            print(f"{name:14s} {p:18s} " + " | ".join(f"{k} rho {v['spearman']:.2f} ENCE {v['ence']:.2f} "
                                                        f"cov {v['coverage90']:.2f}" for k, v in by.items()))


if __name__ == "__main__": main()
