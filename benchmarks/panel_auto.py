"""`sol_trainer train` as a new user runs it (`auto`, the default time budget) against chemprop 2.3.1, on the panel.

For each set of `../shared/data/` and the bundled pIC50, the rows are split 80/20 by molecule (random, seed 0, the
split of `benchmarks/panel.py`; the same for both tools). sol_trainer runs `train_recipe(train, root)` with every
default: it screens the candidates on the training part, trains the winner (and the blend with the runner-up when
that earns its margin out of fold), all within `default_budget` of the rows. chemprop runs its CLI defaults with 5
models in its own venv (`benchmarks/chemprop_runner.py`; `bash benchmarks/chemprop_venv.sh` makes it), one property
at a time. Both use the machine's two threads, one after the other, with nothing else running.

Reported per set and property: test RMSE, MAE and R²; for the uncertainty, the 90 % interval coverage, Spearman
(|error|, σ), ENCE and miscalibration area, calibrated (what `predict` gives) and raw (the ensemble's own spread);
the wall times and their ratio. The test rows are looked at here only, for the final report: nothing was chosen on them.

    .venv/bin/python benchmarks/panel_auto.py [--sets freesolv pic50 lipophilicity radonpy] [--no-chemprop]
        [--chemprop-sets freesolv pic50 lipophilicity] [--chemprop-from earlier.json] [--out benchmarks/results/panel_auto.json]

Measured 2026-12-07 (2 cores, nothing else running; `benchmarks/results/panel_auto.json`, the README's table; RadonPy
from its own run with `--sets radonpy`, merged; chemprop's figures from an earlier run the same day on the same splits,
`--chemprop-from`), test RMSE ours / chemprop: FreeSolv 1.016 / 1.366, pIC50 0.513 / 0.617, lipophilicity 0.558 / 0.574,
RadonPy Cp 106.3 / 155.7, density 0.036 / 0.050, refractive index 0.017 / 0.025; training in 0.28 to 0.63 of
chemprop's time; calibrated Spearman(|error|, σ) 0.07 (pIC50) and 0.29-0.51 (the others).
"""
import argparse, json, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panel import load_set, split  # the panel's sets and split
from chemprop_runner import run_chemprop

from sol_trainer.infer import predict
from sol_trainer.load import ModelRoot
from sol_trainer.metrics import ence, interval_coverage, miscalibration_area, regression_metrics, spearman_abs_err_std
from sol_trainer.recipes import train_recipe


def uncertainty(y, mean, std, lower=None, upper=None) -> dict:
    "Coverage of the 90 % intervals (when given), Spearman(|error|, σ), ENCE and miscalibration area."
    out = {"spearman": spearman_abs_err_std(y, mean, std), "ence": ence(y, mean, std),
           "miscalibration_area": miscalibration_area(y, mean, std)}
    if lower is not None: out = {"coverage90": interval_coverage(y, lower, upper), **out}
    return {k: round(float(v), 4) for k, v in out.items()}


def accuracy(y, mean) -> dict:
    return {k: round(v, 4) for k, v in regression_metrics(y, mean).items() if k in ("rmse", "mae", "r2")}


def ours(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    "sol_trainer's defaults: scores per property, the report's choice and blend, and the wall times."
    with tempfile.TemporaryDirectory() as folder:
        root, start = Path(folder) / "model", time.monotonic()
        report = train_recipe(train, root, progress=False)
        trained = time.monotonic()
        opened = ModelRoot(root, device="cpu")
        calibrated, raw = predict(opened, test), predict(opened, test, calibrate=False)
        predicted = time.monotonic()
    props = {}
    for p in sorted(test.prop.unique()):
        c, r = calibrated[test.prop == p], raw[test.prop == p]
        y = c.value.to_numpy(float)
        props[p] = {**accuracy(y, c["mean"]), "calibrated": uncertainty(y, c["mean"], c["std"], c.lower, c.upper),
                    "raw": uncertainty(y, r["mean"], r["std"], r.lower, r.upper),
                    "oof_rmse": round(report["oof"][p]["rmse"], 4)}
    return {"recipe": report["recipe"], "why": report["why"], "blend": report["blend"], "budget": report["budget"],
            "stage_seconds": report["seconds"], "train_seconds": round(trained - start, 1),
            "predict_seconds": round(predicted - trained, 1), "screening": report["screening"], "properties": props}


def chemprop(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    "chemprop's CLI defaults with 5 models, one property at a time."
    props, seconds = {}, 0.0
    for p in sorted(test.prop.unique()):
        tr, te = train[train.prop == p].reset_index(drop=True), test[test.prop == p].reset_index(drop=True)
        with tempfile.TemporaryDirectory() as folder:
            run = run_chemprop(tr, te, Path(folder), threads=2)
        y = te.value.to_numpy(float)
        props[p] = {**accuracy(y, run["mean"]), "raw": uncertainty(y, run["mean"], run["std"])}
        seconds += run["seconds"]
    return {"seconds": round(seconds, 1), "properties": props}


def markdown(results: list[dict]) -> str:
    "The README's table: one row per set and property."
    head = ("| set (train/test rows) | property | `auto` chose | test RMSE, ours | test RMSE, chemprop 2.3.1 | "
            "90 % coverage | Spearman(abs. error, σ) | ENCE | miscal. area | train time, ours / chemprop |\n"
            + "|---" * 10 + "|\n")
    rows = []
    for r in results:
        ours_run, theirs = r["ours"], r.get("chemprop", {}).get("properties", {})
        blend = ours_run["blend"]
        chosen = ours_run["recipe"] + (f" + {blend['recipes'][1]}" if blend and blend["kept"] else "")
        for p, m in ours_run["properties"].items():
            c, raw = m["calibrated"], m["raw"]
            them = theirs.get(p, {})
            times = (f"{ours_run['train_seconds']:.0f} s / {r['chemprop']['seconds']:.0f} s" if "chemprop" in r
                     else f"{ours_run['train_seconds']:.0f} s / —")
            rows.append(f"| {r['set']} ({r['train_rows']}/{r['test_rows']}) | {p} | {chosen} | {m['rmse']:.3f} | "
                        f"{them.get('rmse', float('nan')):.3f} | {c['coverage90']:.2f} (raw {raw['coverage90']:.2f}) | "
                        f"{c['spearman']:.2f} (raw {raw['spearman']:.2f}; chemprop "
                        f"{them.get('raw', {}).get('spearman', float('nan')):.2f}) | {c['ence']:.2f} (raw {raw['ence']:.2f}) | "
                        f"{c['miscalibration_area']:.3f} (raw {raw['miscalibration_area']:.3f}) | {times} |")
    return head + "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["freesolv", "pic50", "lipophilicity", "radonpy"])
    ap.add_argument("--chemprop-sets", nargs="*", default=None, help="sets chemprop runs on (default: --sets)")
    ap.add_argument("--no-chemprop", action="store_true")
    ap.add_argument("--chemprop-from", default=None,
                    help="take chemprop's results from this earlier output (same sets and split) instead of rerunning it")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    results = []
    for name in args.sets:
        train, test = split(load_set(name))
        result = {"set": name, "train_rows": len(train), "test_rows": len(test), "ours": ours(train, test)}
        if args.chemprop_from:
            earlier = {r["set"]: r for r in json.loads(Path(args.chemprop_from).read_text())}
            if "chemprop" in earlier.get(name, {}): result["chemprop"] = earlier[name]["chemprop"]
        elif not args.no_chemprop and (args.chemprop_sets is None or name in args.chemprop_sets):
            result["chemprop"] = chemprop(train, test)
        if "chemprop" in result:
            result["time_ratio"] = round(result["ours"]["train_seconds"] / result["chemprop"]["seconds"], 3)
        results.append(result)
        print(json.dumps(result), flush=True)
        if args.out: Path(args.out).write_text(json.dumps(results, indent=1))
    print(markdown(results))


if __name__ == "__main__": main()
