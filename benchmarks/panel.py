"""Does `auto`'s race pick the recipe that the full protocol would? Panel of public sets, training rows only.

For each set, the rows are split 80/20 by molecule (random, seed 0; the same split for every method). On the 80 %
`race_recipes` races every candidate of `AUTO_CANDIDATES` as `auto` does (base hyperparameters, every candidate's first
fold of its 5-fold ensemble, then the best's other folds, and a blend partner's; no time limit); with `--full` every
candidate is also trained by `train_recipe` with its whole protocol (search and 5-fold ensemble), whose out-of-fold RMSE
is the score the choice should agree with. `--test` adds each full root's test RMSE, for the final report only: nothing
is chosen on it. (The figures below were measured with the 3-fold, 60-epoch screening the race replaced.)

    .venv/bin/python benchmarks/panel.py [--sets freesolv pic50 lipophilicity radonpy] [--full] [--test]
        [--max-rows N] [--out benchmarks/results/panel.json]

Sets: `../shared/data/` (freesolv `expt`, lipophilicity `exp`, RadonPy PI1070 density, Cp and refractive index as one
multi-task frame) and the bundled pIC50. One torch thread (2-core machine: run nothing else beside it).

Measured 2026-12-07, before the screening halved its field after the first fold (2 cores, nothing else running;
`benchmarks/results/panel.json`), screening loss over all 3 folds, best first:
    freesolv (513 training molecules)  descriptors 0.100 | graph 0.101 | graph_descriptors 0.104 | vector 0.132   41 s
    pic50 (813)                        vector 0.288 | descriptors 0.381 | graph 0.389 | graph_descriptors 0.395  152 s
    lipophilicity (3,360)              graph 0.256 | vector 0.327 | descriptors 0.330 | graph_descriptors 0.372  590 s
    radonpy (2,581 rows, 3 properties) graph 0.041 | graph_descriptors 0.060 | descriptors 0.065 | vector 0.082  395 s
FreeSolv with --full (each candidate's whole protocol; out-of-fold RMSE, kcal/mol): descriptors 1.140 | vector 1.161 |
graph 1.168 | graph_descriptors 1.173, so the 60-epoch screening's first is the full protocol's best; a 15-epoch
screening had ranked graph last there (`benchmarks/results/panel_freesolv_full_screen15.json`).
"""
import argparse, json, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from sol_trainer.datasets import load_pic50
from sol_trainer.infer import eval_ensemble
from sol_trainer.load import load_ensemble
from sol_trainer.recipes import AUTO_CANDIDATES, race_recipes, race_table, recipes_of, train_recipe

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RADONPY_PROPS = ["density", "Cp", "refractive_index"]


def melted(table: pd.DataFrame, smiles: str, props: list[str]) -> pd.DataFrame:
    "The melted frame (smiles_string, prop, value) of the measured cells of `props`."
    long = table.melt(id_vars=[smiles], value_vars=props, var_name="prop", value_name="value").dropna()
    return long.rename(columns={smiles: "smiles_string"}).reset_index(drop=True)


def load_set(name: str) -> pd.DataFrame:
    "A panel set as a melted frame."
    if name == "pic50": return load_pic50()[["smiles_string", "prop", "value"]]
    if name == "freesolv": return melted(pd.read_csv(DATA / "freesolv.csv"), "smiles", ["expt"])
    if name == "lipophilicity": return melted(pd.read_csv(DATA / "lipophilicity.csv"), "smiles", ["exp"])
    if name == "radonpy": return melted(pd.read_csv(DATA / "radonpy_pi1070.csv"), "smiles", RADONPY_PROPS)
    raise SystemExit(f"unknown set {name!r}")


def split(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    "80/20 by molecule, so that no molecule is on both sides."
    train_smiles, _ = train_test_split(sorted(frame.smiles_string.unique()), test_size=0.2, random_state=seed)
    inside = frame.smiles_string.isin(set(train_smiles))
    return frame[inside].reset_index(drop=True), frame[~inside].reset_index(drop=True)


def rmse_by_prop(frame: pd.DataFrame, mean: np.ndarray) -> dict:
    "Test RMSE of each property."
    error = pd.Series(np.asarray(frame.value, float) - mean, index=frame.index)
    return {p: float(np.sqrt((error[frame.prop == p] ** 2).mean())) for p in sorted(frame.prop.unique())}


def full_run(train: pd.DataFrame, test: pd.DataFrame, name: str, with_test: bool) -> dict:
    "One candidate's whole protocol: out-of-fold RMSE per property and seconds (and test RMSE)."
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "root"
        done = train_recipe(train, root, name, progress=False)
        out = {"oof_rmse": {p: m["rmse"] for p, m in done["oof"].items()}, "seconds": done["seconds"]["total"]}
        if with_test:
            _, mean, _, _ = eval_ensemble(load_ensemble(root), root, test)
            out["test_rmse"] = rmse_by_prop(test, mean)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["freesolv", "pic50", "lipophilicity", "radonpy"])
    ap.add_argument("--full", action="store_true", help="also train every candidate with its whole protocol")
    ap.add_argument("--test", action="store_true", help="with --full: test RMSE of every full root (final report)")
    ap.add_argument("--max-rows", type=int, default=None, help="subsample each training part (quick checks)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = []
    for name in args.sets:
        train, test = split(load_set(name))
        if args.max_rows: train = train.sample(min(args.max_rows, len(train)), random_state=0).reset_index(drop=True)
        start = time.monotonic()
        screen = race_table(race_recipes(train, recipes_of("auto", {})))
        result = {"set": name, "train_rows": len(train), "test_rows": len(test), "screening": screen.to_dict("records"),
                  "screen_choice": screen.recipe[0], "screen_seconds": round(time.monotonic() - start, 1)}
        if args.full:
            result["full"] = {c: full_run(train, test, c, args.test) for c in AUTO_CANDIDATES}
            spread = train.groupby("prop").value.std()  # properties in their own units: compare RMSE / std
            mean_oof = {c: float(np.mean([v / spread[p] for p, v in r["oof_rmse"].items()]))
                        for c, r in result["full"].items()}
            result["full_choice"] = min(mean_oof, key=mean_oof.get)
        results.append(result)
        print(json.dumps(result), flush=True)
    if args.out: Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__": main()
