"""Throughput of `train_submodel` against a minimal hand-written PyTorch loop.

Two models on the bundled pIC50 data: the Mlp on 2048-bit Morgan fingerprints, and `MpnnMlp` (hidden 300, depth 3)
on the molecular graphs (`GraphFeaturizer`). For each model both variants get the same rows, batch size, epochs and
optimizer; they run alternately in one process on one thread, several rounds, and the medians are compared.

    .venv/bin/python benchmarks/train_loop.py [--models mlp mpnn] [--epochs 10] [--rounds 5] [--rows 1017]
        [--batch-size N] [--device cpu] [--profile]

`--profile` prints the functions taking the most time in one engine run of each model (cProfile).
"""
import argparse, cProfile, pstats, statistics, time

import torch
from torch.nn import functional as F

from sol_trainer.datasets import load_pic50
from sol_trainer.engine import TensorLoader
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.graphs import GraphFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.mpnn import MpnnMlp
from sol_trainer.prepare import frame_tensors, model_dims, prepare_train
from sol_trainer.train import TrainConfig, submodel_optimizer, train_submodel
from sol_trainer.utils import seed_everything


def _validate(model, val_batch):
    model.eval()
    with torch.no_grad():
        F.mse_loss(model(val_batch)[:, 0], val_batch["y"]).item()


def gather_loop(model, tensors, val_tensors, hps, epochs, device):
    "The loop a user would write by hand for plain tensors: shuffle, gather, step; validate once per epoch."
    x = {k: v.to(device) for k, v in tensors.items()}
    xv = {k: v.to(device) for k, v in val_tensors.items()}
    opt = submodel_optimizer(model.to(device), hps)
    n, bs = len(x["y"]), hps.batch_size
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, device=device)
        for i in range(0, n - 1, bs):
            idx = perm[i:i + bs]
            batch = {k: v[idx] for k, v in x.items()}
            opt.zero_grad()
            loss = F.mse_loss(model(batch)[:, 0], batch["y"])
            loss.backward()
            opt.step()
        _validate(model, xv)


def loader_loop(model, tensors, val_tensors, hps, epochs, device):
    "The same loop over `TensorLoader` batches, which gather the graphs of each batch from the `GraphStore`."
    loader = TensorLoader(tensors, hps.batch_size, shuffle=True, min_batch=2).to(device)  # batches as in the engine
    val_batch = next(iter(TensorLoader(val_tensors, len(val_tensors["y"])).to(device)))
    opt = submodel_optimizer(model.to(device), hps)
    for _ in range(epochs):
        model.train()
        for batch in loader:
            opt.zero_grad()
            loss = F.mse_loss(model(batch)[:, 0], batch["y"])
            loss.backward()
            opt.step()
        _validate(model, val_batch)


MODELS = {  # featurizer, model builder, hand-written loop, default batch size, hyperparameters
    "mlp": (lambda: MorganFeaturizer(n_bits=2048), lambda dims, hps: Mlp(**dims, hps=hps), gather_loop, 64,
            dict(capacity=2, dropout_pct=0.1)),
    "mpnn": (GraphFeaturizer, lambda dims, hps: MpnnMlp(**dims, hps=hps, hidden=300, depth=3), loader_loop, 50,
             dict(capacity=1, dropout_pct=0.0)),
}


def compare(name, args):
    "Median times of the hand-written loop and `train_submodel` for model `name`; prints them and returns the ratios."
    featurizer, build, raw, default_bs, hp_values = MODELS[name]
    data = load_pic50()
    if args.rows: data = data.sample(min(args.rows, len(data)), random_state=0).reset_index(drop=True)
    df, scalers = prepare_train(data, featurizer(), progress=False)
    n_train = round(0.8 * len(df))
    train_df, val_df = df.iloc[:n_train], df.iloc[n_train:]
    tensors, val_tensors = frame_tensors(train_df), frame_tensors(val_df)
    hps = HpConfig(**hp_values, batch_size=args.batch_size or default_bs)
    dims = model_dims(tensors)
    tc = TrainConfig(hps=hps, epochs=args.epochs, device=args.device, progress=False)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)

    def timed(fn):
        "Wall and CPU seconds of one training run (CPU time is the steadier figure on a shared machine)."
        seed_everything(0)
        model = build(dims, hps)
        sync(); wall, cpu = time.perf_counter(), time.process_time(); fn(model); sync()
        return time.perf_counter() - wall, time.process_time() - cpu

    variants = {
        "hand-written": lambda m: raw(m, tensors, val_tensors, hps, args.epochs, args.device),
        "train_submodel": lambda m: train_submodel(m, train_df, val_df, scalers, tc),
    }
    for fn in variants.values(): timed(fn)  # warm-up
    times = {v: [] for v in variants}
    for _ in range(args.rounds):
        for v, fn in variants.items(): times[v].append(timed(fn))
    print(f"\n{name}: device={args.device} rows={len(train_df)} train / {len(val_df)} validation batch_size={hps.batch_size} "
          f"epochs={args.epochs} rounds={args.rounds}")
    ratios = {}
    for i, clock in enumerate(("wall", "cpu")):
        per_round = {v: [t[i] for t in ts] for v, ts in times.items()}
        med = {v: statistics.median(t) for v, t in per_round.items()}
        for v, t in med.items():
            print(f"{v:>15} {clock:>4}: {t:7.3f} s median  {len(train_df) * args.epochs / t:6.0f} samples/s  (rounds: "
                  + ", ".join(f"{s:.2f}" for s in per_round[v]) + ")")
        paired = statistics.median(e / h for e, h in zip(per_round["train_submodel"], per_round["hand-written"]))
        ratios[clock] = med["train_submodel"] / med["hand-written"]
        print(f"ratio train_submodel / hand-written ({clock} time): {ratios[clock]:.3f} of the medians, "
              f"{paired:.3f} median of the rounds' ratios")
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(variants["train_submodel"], build(dims, hps))
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    return ratios


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=None, help="use a random subset of N molecules (80 %% train, 20 %% validation)")
    ap.add_argument("--batch-size", type=int, default=None, help="default: 64 for the Mlp, 50 for MpnnMlp")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--profile", action="store_true", help="profile one engine run of each model")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for name in args.models: compare(name, args)


if __name__ == "__main__":
    main()
