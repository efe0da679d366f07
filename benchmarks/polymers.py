"""Polymers as polymers: `sol_trainer train`'s defaults on the RadonPy repeat units, and how much a prediction moves when
the same polymers are written otherwise.

The RadonPy set of `../shared/data/` (1,077 repeat units, molecular-dynamics properties) is split 80/20 by repeat unit
(random, seed 0: the split of `benchmarks/panel.py`). `train_recipe(train, root, recipe)` runs with every other default
(the default time budget) on the panel's three RadonPy properties, for `auto` and for each family it races. The test units are then predicted three times: as
written, written as dimers (two copies of the unit chained head to tail) and started at another backbone bond (a random
start bond, seed 0). Reported per property: test RMSE, the race's candidates (mean validation loss and folds), the mean
and largest |change| of the prediction between the writings, against the standard deviation of the predictions, and
chemprop 2.3.1's test RMSE and time on the same split, read from `benchmarks/results/panel_auto.json` (chemprop reads `*`
as an atom and keys nothing, so a dimer is another molecule to it; its invariance was not measured).

    .venv/bin/python benchmarks/polymers.py [--out benchmarks/results/polymers.json]

Measured 2026-12-08 (2 cores, nothing else running; `benchmarks/results/polymers.json`), test RMSE Cp / density /
refractive index and training time, chemprop 2.3.1 155.7 / 0.0504 / 0.0248 in 1,070 s:
auto (chose graph) 107.3 / 0.0360 / 0.0169 in 345 s; graph 110.5 / 0.0384 / 0.0200 in 372 s; graph + descriptors
154.5 / 0.0466 / 0.0210 in 369 s; vector 184.5 / 0.0583 / 0.0208 in 102 s; descriptors 155.4 / 0.0437 / 0.0195 in 21 s.
Started at another bond, the graph families' predictions did not move (0 of 216 units); as dimers, 5 of 216 moved
for every family. Those 5 units, and the 5 that move when started elsewhere with descriptors, carry a cis/trans mark
beside the unit's ends (`*/C=C/CC*`, ...), which this script's chaining and restarting drop, so the rewritten unit is
another (unmarked) polymer; the package's own key drops that mark too (E and Z get one key), a known limitation.
"""
import argparse, json, random, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panel import load_set, split  # the panel's sets and split

from sol_trainer.infer import predict
from sol_trainer.load import ModelRoot
from sol_trainer.metrics import regression_metrics
from sol_trainer.polymers import backbone, repeated, restarted, start_bonds, aromatic
from sol_trainer.recipes import train_recipe

RESULTS = Path(__file__).resolve().parent / "results"


def dimer(smiles: str) -> str:
    "The repeat unit written as two copies of itself."
    return Chem.MolToSmiles(aromatic(repeated(Chem.MolFromSmiles(smiles), 2)))


def rotated(smiles: str, rng: random.Random) -> str:
    "The repeat unit started at a random start bond of its backbone (as written where it has none)."
    mol = Chem.MolFromSmiles(smiles)
    path = backbone(mol)
    starts = start_bonds(mol, path)
    return Chem.MolToSmiles(aromatic(restarted(mol, path, rng.choice(starts)))) if starts else smiles


def measure(recipe: str, train: pd.DataFrame, test: pd.DataFrame, writings: dict, folder: Path) -> dict:
    "Train `recipe` with every other default, then its test RMSE per property and how far each writing moves it."
    root, start = folder / recipe, time.monotonic()
    report = train_recipe(train, root, recipe, progress=False)
    seconds = time.monotonic() - start
    model = ModelRoot(root, device="cpu")
    written = predict(model, test)["mean"].to_numpy()
    moved = {k: np.abs(predict(model, frame)["mean"].to_numpy() - written) for k, frame in writings.items()}
    out = {"chosen": report["recipe"], "race": report.get("screening"), "train_seconds": round(seconds, 1),
           "properties": {}}
    for p in sorted(test.prop.unique()):
        rows = (test.prop == p).to_numpy()
        out["properties"][p] = {
            "rmse": round(regression_metrics(test.value[rows].to_numpy(float), written[rows])["rmse"], 4),
            "prediction_std": round(float(written[rows].std()), 4),
            **{f"{k}_mean_change": float(v[rows].mean()) for k, v in moved.items()},
            **{f"{k}_max_change": float(v[rows].max()) for k, v in moved.items()},
            **{f"{k}_units_changed": int((v[rows] > 1e-6 * (1 + np.abs(written[rows]))).sum()) for k, v in moved.items()}}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", nargs="+", default=["auto", "graph", "graph_descriptors", "vector", "descriptors"])
    ap.add_argument("--out", type=Path, default=RESULTS / "polymers.json")
    args = ap.parse_args()
    train, test = split(load_set("radonpy"))
    rng = random.Random(0)
    writings = {"dimer": test.assign(smiles_string=test.smiles_string.map(dimer)),
                "rotated": test.assign(smiles_string=[rotated(s, rng) for s in test.smiles_string])}
    chemprop = next(r["chemprop"] for r in json.loads((RESULTS / "panel_auto.json").read_text()) if r["set"] == "radonpy")
    out = {"train_rows": len(train), "test_rows": len(test), "chemprop_seconds": chemprop["seconds"],
           "chemprop_rmse": {p: m["rmse"] for p, m in chemprop["properties"].items()}, "recipes": {}}
    with tempfile.TemporaryDirectory() as folder:
        for recipe in args.recipes:
            out["recipes"][recipe] = found = measure(recipe, train, test, writings, Path(folder))
            args.out.write_text(json.dumps(out, indent=1))
            print(f"{recipe} ({found['chosen']}) trained in {found['train_seconds']} s "
                  f"(chemprop {out['chemprop_seconds']} s)", flush=True)
            for p, m in found["properties"].items():
                print(f"  {p:18s} RMSE {m['rmse']:.4g} (chemprop {out['chemprop_rmse'][p]:.4g}); "
                      f"prediction std {m['prediction_std']:.4g}; |change| as dimers mean {m['dimer_mean_change']:.3g} "
                      f"max {m['dimer_max_change']:.3g}, rotated mean {m['rotated_mean_change']:.3g} max "
                      f"{m['rotated_max_change']:.3g}; units changed {m['dimer_units_changed']} / "
                      f"{m['rotated_units_changed']} of {int((test.prop == p).sum())}", flush=True)


if __name__ == "__main__": main()
