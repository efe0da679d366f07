"""Does the neighbour error (the RMS out-of-fold residual of a molecule's most similar training molecules) earn a place
in σ, and with how many neighbours? Chosen on the panel's training rows only, never on its test rows.

For each panel set (`benchmarks/panel.py`: the same 80/20 split by molecule, seed 0), the training 80 % is split again
80/20 (seed 1), as in `benchmarks/sigma_choice.py`. `train_recipe` runs with every default on the inner 80 %; its
out-of-fold table then gets the neighbour error for NEIGHBOURS = 5, 10, 20 and 40, and σ is fitted on it with the
similarity term alone (what the roots chose before) and with both terms. Each fit is scored by its out-of-fold Gaussian
NLL (what `fit_property` chooses by) and, on the inner 20 %, by Spearman(|error|, σ) and ENCE of the ensemble's σ.

    .venv/bin/python benchmarks/neighbour_error.py --roots /tmp/neighbour_roots   # trains what is missing (~17 min)

Measured 2026-12-07 (2 cores), NEIGHBOURS = 10, similarity alone -> with the neighbour error: out-of-fold NLL lower on
all six properties; inner-test Spearman FreeSolv 0.34 -> 0.29, pIC50 0.13 -> 0.13, lipophilicity 0.29 -> 0.29,
RadonPy Cp 0.30 -> 0.33, density 0.36 -> 0.46, refractive index 0.17 -> 0.39; ENCE lower on five of six. The sum of
the six out-of-fold NLLs was lowest at 10 neighbours (5: +0.005, 20: +0.007, 40: +0.036 nats).
"""
import argparse, json, sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panel import load_set, split  # the panel's sets and split

import sol_trainer.uncertainty as uncertainty
from sol_trainer.infer import predict
from sol_trainer.load import ModelRoot
from sol_trainer.metrics import ence, gaussian_nll
from sol_trainer.recipes import train_recipe

COUNTS = (5, 10, 20, 40)
FITS = {"similarity": ("dissimilarity",), "similarity+neighbours": ("dissimilarity", "neighbour_error")}


def trained(name: str, roots: Path) -> tuple[ModelRoot, object]:
    "The root trained on the inner 80 % of the set's training rows (trained now if missing), and the inner 20 %."
    inner_train, inner_test = split(split(load_set(name))[0], seed=1)
    root = roots / name
    if not root.exists(): train_recipe(inner_train, root, progress=False)
    return ModelRoot(root, device="cpu"), inner_test


def scores(name: str, roots: Path) -> dict:
    "For each property, neighbour count and σ fit: out-of-fold NLL, and inner-test Spearman and ENCE."
    model, test = trained(name, roots)
    calibration, predicted = model.calibration, predict(model, test)
    out = {}
    for count in COUNTS:
        uncertainty.NEIGHBOURS = count
        oof = uncertainty.with_neighbour_error(calibration.oof)
        domain = uncertainty.domain_of(oof)
        nearby = domain.similarities(test["smiles_string"], test["prop"])
        nearby = nearby.assign(similarity=nearby["fold_similarity"])
        for p, rows in oof.groupby("prop", sort=True):
            y, pred = rows["value"].to_numpy(float), rows["prediction"].to_numpy(float)
            mask = (test["prop"] == p).to_numpy()
            y_test, mean = test["value"].to_numpy(float)[mask], predicted["mean"].to_numpy(float)[mask]
            factor = calibration.spec["properties"][p].get("ensemble_factor", 1.0)
            for fit, terms in FITS.items():
                weights = uncertainty.fit_sigma(y - pred, rows, terms)
                sigma = factor * uncertainty.sigma_of(weights, nearby[mask])
                out.setdefault(p, {})[f"{fit}@{count}"] = {
                    "oof_nll": round(gaussian_nll(y, pred, uncertainty.sigma_of(weights, rows)), 4),
                    "spearman": round(float(spearmanr(np.abs(y_test - mean), sigma)[0]), 3),
                    "ence": round(float(ence(y_test, mean, sigma)), 3)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["freesolv", "pic50", "radonpy", "lipophilicity"])
    ap.add_argument("--roots", type=Path, required=True, help="folder that keeps the trained roots between runs")
    args = ap.parse_args()
    results = {name: scores(name, args.roots) for name in args.sets}
    (Path(__file__).resolve().parent / "results" / "neighbour_error.json").write_text(json.dumps(results, indent=1))
    for name, props in results.items():
        for p, fits in props.items():
            for fit, s in fits.items():
                print(f"{name:14s} {p:18s} {fit:28s} NLL {s['oof_nll']:9.4f} rho {s['spearman']:6.3f} ENCE {s['ence']:.3f}")
    total = {fit: sum(f[fit]["oof_nll"] for props in results.values() for f in props.values()) for fit in
             next(iter(next(iter(results.values())).values()))}
    print("sum of out-of-fold NLLs:", {k: round(v, 4) for k, v in total.items()})


if __name__ == "__main__": main()
