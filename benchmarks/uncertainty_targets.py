"""Uncertainty targets on the bundled data: coverage of calibrated 90 % intervals, ENCE before and after calibration,
how well each uncertainty ranks the errors, and the classifier's ECE before and after temperature scaling.

For each seed the multi-task data (pIC50 and TPSA) are split 80/20 per property (`split_by_property`, as in
`sol_trainer demo`); the demo's vector recipe (RDKit's TPSA descriptor left out) is trained on the 80 %, and the
calibration is fitted on its out-of-fold predictions only. The 20 % are predicted twice, raw (`calibrate=False`: the
ensemble spread, intervals `mean ± 1.645·std`) and calibrated (the default). The classification view labels pIC50 as
"active" from 6.5 (0.3 µM) and trains the same recipe on the labels of the same split.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/uncertainty_targets.py --seeds 0 1 2 [--out benchmarks/results/uncertainty_targets.json]
    .venv/bin/python benchmarks/uncertainty_targets.py --report benchmarks/results/uncertainty_targets.json

One seed takes about 5 minutes on one core; seeds can run in separate processes (`--out` per seed, then `--report` on all).
"""
import argparse, json, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sol_trainer.cli import DEMO_RECIPES
from sol_trainer.datasets import split_by_property
from sol_trainer.datasets import load_multitask
from sol_trainer.ensemble import submodel_spread
from sol_trainer.infer import predict
from sol_trainer.load import load_ensemble
from sol_trainer.prepare import frame_tensors, prepare_infer
from sol_trainer.uncertainty import sigma_of
from sol_trainer.metrics import classification_uncertainty_metrics, spearman_abs_err_std, uncertainty_metrics
from sol_trainer.recipes import train_recipe
from sol_trainer.root import CALIBRATION_FILE
from sol_trainer.utils import read_json

ACTIVE_FROM = 6.5 # pIC50 from which a molecule counts as active

def regression_view(train, test, seed, folder) -> dict:
    root = Path(folder) / "regression"
    train_recipe(train, root, DEMO_RECIPES["vector"](), seed=seed, progress=False)
    calibrated, raw = predict(root, test), predict(root, test, calibrate=False)
    calibration = read_json(root / CALIBRATION_FILE)["properties"]
    out = {"calibration": calibration}
    ensemble = load_ensemble(root, device="cpu")
    tensors = frame_tensors(prepare_infer(test, None, root, progress=False), with_y=False)
    mc_spread = submodel_spread(ensemble, tensors)
    for p, rows in calibrated.groupby("prop").indices.items():
        c, r = calibrated.iloc[rows], raw.iloc[rows]
        y = c["value"].to_numpy(float)
        out[p] = {"raw": uncertainty_metrics(y, r["mean"], r["std"], r["lower"], r["upper"]),
                  "calibrated": uncertainty_metrics(y, c["mean"], c["std"], c["lower"], c["upper"]),
                  "spearman_abs_err_dissimilarity": spearman_abs_err_std(y, c["mean"], 1 - c["similarity"]),
                  "spearman_abs_err_mc_spread": spearman_abs_err_std(y, c["mean"], mc_spread[rows]),
                  "spearman_abs_err_single_sigma": spearman_abs_err_std(y, c["mean"], sigma_of(calibration[p]["weights"],
                      pd.DataFrame({"spread": mc_spread[rows], "similarity": c["similarity"].to_numpy()}))),
                  "in_domain": float(c["in_domain"].mean()),
                  "coverage_in_domain": float(c["value"].between(c["lower"], c["upper"])[c["in_domain"]].mean()),
                  "coverage_out_of_domain": float(c["value"].between(c["lower"], c["upper"])[~c["in_domain"]].mean())}
    return out

def classification_view(train, test, seed, folder) -> dict:
    def labelled(df):
        df = df[df["prop"] == "pIC50"]
        return df.assign(value=np.where(df["value"].astype(float) >= ACTIVE_FROM, "active", "inactive")).reset_index(drop=True)
    train_c, test_c = labelled(train), labelled(test)
    root = Path(folder) / "classification"
    train_recipe(train_c, root, DEMO_RECIPES["vector"](), seed=seed, progress=False)
    labels = read_json(root / "metadata/features.json")["class_labels"]
    out = {"oof": read_json(root / CALIBRATION_FILE), "active_share": float((test_c["value"] == "active").mean())}
    for name, calibrate in (("raw", False), ("calibrated", True)):
        pred = predict(root, test_c.drop(columns="value"), calibrate=calibrate)
        out[name] = classification_uncertainty_metrics(test_c["value"], pred[[f"p_{c}" for c in labels]].to_numpy(), labels)
    return out

def run_seed(seed: int) -> dict:
    train, test = split_by_property(load_multitask(), 0.2, seed)
    with tempfile.TemporaryDirectory() as folder:
        start = time.monotonic()
        result = {"seed": seed, "regression": regression_view(train, test, seed, folder)}
        result["classification"] = classification_view(train, test, seed, folder)
        result["seconds"] = round(time.monotonic() - start, 1)
    return result

def report(results: list[dict]):
    print(f"{'seed':>4} {'property':<8} {'cover raw':>9} {'cover cal':>9} {'ENCE raw':>9} {'ENCE cal':>9} {'rho raw':>8} {'rho cal':>8} {'rho 1-sim':>9} {'rho MC':>7} {'rho σ1':>7} {'terms'}")
    for r in results:
        for p in ("pIC50", "TPSA"):
            m = r["regression"][p]
            terms = "+".join(r["regression"]["calibration"][p].get("terms", [])) or "constant"
            print(f"{r['seed']:>4} {p:<8} {m['raw']['coverage']:>9.3f} {m['calibrated']['coverage']:>9.3f} {m['raw']['ence']:>9.3f} "
                  f"{m['calibrated']['ence']:>9.3f} {m['raw']['spearman_abs_err_std']:>8.3f} {m['calibrated']['spearman_abs_err_std']:>8.3f} "
                  f"{m['spearman_abs_err_dissimilarity']:>9.3f} {m['spearman_abs_err_mc_spread']:>7.3f} {m['spearman_abs_err_single_sigma']:>7.3f} {terms}")
    print(f"\n{'seed':>4} {'ECE raw':>8} {'ECE cal':>8} {'T':>6} {'AUROC':>6}")
    for r in results:
        c = r["classification"]
        print(f"{r['seed']:>4} {c['raw']['ece']:>8.3f} {c['calibrated']['ece']:>8.3f} {c['oof']['temperature']:>6.2f} {c['calibrated']['auroc']:>6.3f}")

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--out", default="benchmarks/results/uncertainty_targets.json")
    ap.add_argument("--report", nargs="*", help="print the table of these result files and stop")
    args = ap.parse_args()
    if args.report: return report([r for f in args.report for r in json.loads(Path(f).read_text())])
    torch.set_num_threads(1)
    results = []
    for seed in args.seeds:
        results.append(run_seed(seed))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=1, default=float))
        print(json.dumps({"seed": seed, "seconds": results[-1]["seconds"]}), file=sys.stderr)
    report(results)

if __name__ == "__main__": main()
