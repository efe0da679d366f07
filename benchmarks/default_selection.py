"""Choose the default pipelines by cross-validation on the training split only.

For each property (pIC50, TPSA) the bundled data are split 80/20 (random_state 0, as in `sol_trainer demo`); every
candidate trains a 5-fold ensemble on the 80 % and is scored by its out-of-fold RMSE (the root's `oof_metrics.json`),
so the 20 % test rows play no part in the choice. `--test` adds the test RMSE for the final report.

    .venv/bin/python benchmarks/default_selection.py [--props pIC50 TPSA] [--only NAME ...] [--test] [--max-rows N]

Measured 2026-12-02 (2 shared cores, one torch thread each, fixed base hyperparameters, 60 epochs, patience 10).
Out-of-fold RMSE, pIC50 (813 training molecules):
    bits2048 0.535 | counts2048 0.562 | rdkit2d 0.675 | rdkit2d-clip5 0.650 | counts2048+rdkit2d 0.547
    counts2048+rdkit2d-clip5 0.534 | counts1024+rdkit2d-clip5 0.542 (same, batch 64: 0.543) | bits2048+rdkit2d-clip5 0.538
    mpnn128 (mean readout) 0.683 | mpnn (hidden 300) 0.608 | mpnn128+rdkit2d-clip5 0.653 | mpnn128-sum 0.731
    mpnn128-sum+rdkit2d-clip5 0.656
Out-of-fold RMSE, TPSA (1200 training molecules of a 1500-row subsample; all RDKit descriptors include TPSA itself):
    bits2048 21.97 | counts2048+rdkit2d-clip5 7.73 (leaks the target; without RDKit's TPSA 7.91) | mpnn128 (mean readout) 12.47
    mpnn128+rdkit2d-clip5 9.01 | mpnn128-sum 5.57 | mpnn-sum (hidden 300) 6.26 | mpnn128-sum+rdkit2d-clip5 8.18
    mpnn128-sum-decay (lr to 1/10 by the last epoch) 6.64 | mpnn-sum-decay 7.52 | mpnn128-sum-adam (Adam, no weight decay) 5.37
    mpnn128-sum-adam-50ep (50 epochs, no early stopping) 5.53 | mpnn128-sum-adam-lr3e-4 6.79
    mpnn128-norm (sum / 100, as chemprop's aggregation) 2.55 | the same with Adam, no weight decay 2.51
So the vector default is Morgan counts (1024, slightly faster than 2048 at +0.008) + RDKit descriptors clipped at ±5,
and the graph default is the message-passing network with the scaled-sum ("norm") readout (hidden 128), no descriptors.
"""
import argparse, json, tempfile, time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split

import sol_trainer as st
from sol_trainer.datasets import load_pic50, load_tpsa
from sol_trainer.featurize import MorganFeaturizer, RDKit2DFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.train import TrainConfig

torch.set_num_threads(1)

def vector(featurizers, clip=None, **hps):
    return {"featurizer": featurizers, "model": Mlp, "kwargs": {}, "hps": HpConfig(**hps), "clip": clip}

def no_tpsa():
    "RDKit 2D descriptors without TPSA itself (the bundled TPSA target is RDKit-like TPSA)."
    return RDKit2DFeaturizer([n for n in RDKit2DFeaturizer().names if n != "TPSA"])

def graph(extra=(), **kwargs):
    from sol_trainer.graphs import GraphFeaturizer
    from sol_trainer.mpnn import MpnnMlp
    hps = kwargs.pop("hps", {})
    training = {k: kwargs.pop(k) for k in ("lr_decay", "epochs", "patience") if k in kwargs}
    return {"featurizer": [GraphFeaturizer(), *extra], "model": MpnnMlp, "kwargs": kwargs, "hps": HpConfig(**hps),
            "clip": kwargs.pop("clip", None), **training}

BASE = dict(optimizer="adamw", weight_decay=1e-2, capacity=1, dropout_pct=0.2, batch_size=32, r_learn=1e-3)
CANDIDATES = {
    "bits2048": lambda: vector(MorganFeaturizer(n_bits=2048), **BASE),
    "counts2048": lambda: vector(MorganFeaturizer(n_bits=2048, counts=True), **BASE),
    "rdkit2d": lambda: vector(RDKit2DFeaturizer(), **BASE),
    "counts2048+rdkit2d": lambda: vector([MorganFeaturizer(n_bits=2048, counts=True), RDKit2DFeaturizer()], **BASE),
    "rdkit2d-clip5": lambda: vector(RDKit2DFeaturizer(), clip=5, **BASE),
    "counts2048+rdkit2d-clip5": lambda: vector([MorganFeaturizer(n_bits=2048, counts=True), RDKit2DFeaturizer()], clip=5, **BASE),
    "counts1024+rdkit2d-clip5": lambda: vector([MorganFeaturizer(n_bits=1024, counts=True), RDKit2DFeaturizer()], clip=5, **BASE),
    "counts1024+rdkit2d-clip5-b64": lambda: vector([MorganFeaturizer(n_bits=1024, counts=True), RDKit2DFeaturizer()], clip=5, **dict(BASE, batch_size=64)),
    "counts2048+rdkit2d-noTPSA-clip5": lambda: vector([MorganFeaturizer(n_bits=2048, counts=True), no_tpsa()], clip=5, **BASE),
    "bits2048+rdkit2d-clip5": lambda: vector([MorganFeaturizer(n_bits=2048), RDKit2DFeaturizer()], clip=5, **BASE),
    "mpnn": lambda: graph(hidden=300, depth=3, hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn128": lambda: graph(hidden=128, depth=3, hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn128+rdkit2d-clip5": lambda: graph([RDKit2DFeaturizer()], hidden=128, depth=3, clip=5, hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn128-sum": lambda: graph(hidden=128, depth=3, readout="sum", hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn128-sum+rdkit2d-clip5": lambda: graph([RDKit2DFeaturizer()], hidden=128, depth=3, readout="sum", clip=5, hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn128-sum-decay": lambda: graph(hidden=128, depth=3, readout="sum", lr_decay=0.1, hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn-sum-decay": lambda: graph(hidden=300, depth=3, readout="sum", lr_decay=0.1, hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn128-sum-adam": lambda: graph(hidden=128, depth=3, readout="sum", hps=dict(BASE, batch_size=50, dropout_pct=0.0, optimizer="adam", weight_decay=0.0)),
    "mpnn128-sum-adam-50ep": lambda: graph(hidden=128, depth=3, readout="sum", epochs=50, patience=None,
                                           hps=dict(BASE, batch_size=50, dropout_pct=0.0, optimizer="adam", weight_decay=0.0)),
    "mpnn128-sum-adam-lr3e-4": lambda: graph(hidden=128, depth=3, readout="sum",
                                           hps=dict(BASE, batch_size=50, dropout_pct=0.0, optimizer="adam", weight_decay=0.0, r_learn=3e-4)),
    "mpnn128-norm": lambda: graph(hidden=128, depth=3, readout="norm", hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn-sum": lambda: graph(hidden=300, depth=3, readout="sum", hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
    "mpnn+rdkit2d": lambda: graph([RDKit2DFeaturizer()], hidden=300, depth=3, hps=dict(BASE, batch_size=50, dropout_pct=0.0)),
}

def split(prop, max_rows):
    data = {"pIC50": load_pic50, "TPSA": load_tpsa}[prop]()
    if max_rows and len(data) > max_rows: data = data.sample(max_rows, random_state=0)
    train, test = train_test_split(data, test_size=0.2, random_state=0)
    return train.reset_index(drop=True), test.reset_index(drop=True)

def run(name, prop, train, test, epochs, with_test):
    spec = CANDIDATES[name]()
    root = Path(tempfile.mkdtemp()) / "root"
    t0 = time.perf_counter()
    df, scalers = st.train.prepare_train(train, spec["featurizer"], root_dir=root, progress=False, clip=spec["clip"])
    t1 = time.perf_counter()
    tc = TrainConfig(hps=spec["hps"], epochs=spec.get("epochs", epochs), patience=spec.get("patience", 10), progress=False,
                     lr_decay=spec.get("lr_decay"))
    st.train.train_kfold_ensemble(df, spec["model"], spec["kwargs"], tc, scaler_dict=scalers, root_dir=root, n_fold=5)
    t2 = time.perf_counter()
    oof = json.loads((root / "metadata/oof_metrics.json").read_text())[prop]
    out = {"candidate": name, "prop": prop, "oof_rmse": round(oof["rmse"], 4), "oof_r2": round(oof["r2"], 4),
           "featurize_s": round(t1 - t0, 1), "train_s": round(t2 - t1, 1)}
    if with_test:
        _, mean, std, _ = st.infer.eval_ensemble(st.load.load_ensemble(root), root, test)
        out["test_rmse"] = round(float(np.sqrt(np.mean((test.value.to_numpy() - mean) ** 2))), 4)
    return out

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--props", nargs="+", default=["pIC50", "TPSA"])
    ap.add_argument("--only", nargs="+", default=list(CANDIDATES))
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--max-rows", type=int, default=None)
    ap.add_argument("--test", action="store_true", help="also report test RMSE (final report only; never choose on it)")
    args = ap.parse_args()
    for prop in args.props:
        train, test = split(prop, args.max_rows)
        for name in args.only: print(json.dumps(run(name, prop, train, test, args.epochs, args.test)), flush=True)
