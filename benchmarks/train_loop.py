"""Throughput of `train_submodel` against a minimal hand-written PyTorch loop.

Same model (Mlp), same data (bundled pIC50, 2048-bit Morgan fingerprints), same batch size and
epochs. Both variants run alternately in one process, several rounds, and the medians are compared.

    .venv/bin/python benchmarks/train_loop.py [--epochs 10] [--rounds 5] [--batch-size 64] [--device cpu]
"""
import argparse, statistics, time

import torch
from torch.nn import functional as F

from sol_trainer.datasets import load_pic50
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.prepare import frame_tensors, model_dims, prepare_train
from sol_trainer.train import TrainConfig, make_optimizer, train_submodel
from sol_trainer.utils import seed_everything


def raw_loop(model, tensors, val_tensors, hps, epochs, device):
    "The loop a user would write by hand: shuffle, batch, step; validate once per epoch."
    x = {k: v.to(device) for k, v in tensors.items()}
    xv = {k: v.to(device) for k, v in val_tensors.items()}
    opt = make_optimizer(model.to(device), hps)
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
        model.eval()
        with torch.no_grad():
            F.mse_loss(model(xv)[:, 0], xv["y"]).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.set_num_threads(torch.get_num_threads())

    df, scalers = prepare_train(load_pic50(), MorganFeaturizer(n_bits=2048), progress=False)
    train_df, val_df = df.iloc[:800], df.iloc[800:]
    tensors, val_tensors = frame_tensors(train_df), frame_tensors(val_df)
    hps = HpConfig(capacity=2, dropout_pct=0.1, batch_size=args.batch_size)
    dims = model_dims(tensors)
    n_samples = len(train_df) * args.epochs
    tc = TrainConfig(hps=hps, epochs=args.epochs, device=args.device, progress=False)

    def timed(fn):
        seed_everything(0)
        model = Mlp(**dims, hps=hps)
        if args.device.startswith("cuda"): torch.cuda.synchronize()
        t = time.perf_counter(); fn(model)
        if args.device.startswith("cuda"): torch.cuda.synchronize()
        return time.perf_counter() - t

    variants = {
        "raw loop": lambda m: raw_loop(m, tensors, val_tensors, hps, args.epochs, args.device),
        "train_submodel": lambda m: train_submodel(m, train_df, val_df, scalers, tc),
    }
    for fn in variants.values(): timed(fn)  # warm-up
    times = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, fn in variants.items(): times[name].append(timed(fn))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"device={args.device} rows={len(train_df)} batch_size={args.batch_size} epochs={args.epochs} rounds={args.rounds}")
    for name, t in med.items():
        print(f"{name:>15}: {t:7.3f} s median  {n_samples / t:10.0f} samples/s")
    print(f"ratio train_submodel / raw loop (time): {med['train_submodel'] / med['raw loop']:.3f}")


if __name__ == "__main__":
    main()
