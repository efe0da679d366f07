"""Write the data of the conv_seq_classifier example: one-hot DNA-like sequences whose label says whether a motif is planted.

    python make_data.py data            # 4000 training, 1000 validation and 2 x 500 test sequences
    python make_data.py data --quick    # 1200 / 300 / 2 x 200, for a smoke test

Each sequence has 100 random bases (A, C, G, T); in half of them, chosen at random, the motif TGACTCA replaces 7 bases at a
random position, and the label is 1. Files: train.h5, valid.h5, test.h5.batch1 and test.h5.batch2, each with the datasets
'data' (uint8, rows x 4 channels x 100 positions) and 'label' (int64, 0 or 1). The same seed gives the same files.
"""
import argparse
from pathlib import Path

import h5py
import numpy as np

BASES, MOTIF, LENGTH = "ACGT", "TGACTCA", 100

def make_sequences(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    "One-hot sequences (n, 4, LENGTH) and labels (n,): label 1 when the motif is planted."
    seqs = rng.integers(0, 4, size=(n, LENGTH))
    labels = rng.integers(0, 2, size=n)
    motif = np.array([BASES.index(b) for b in MOTIF])
    for i in np.flatnonzero(labels):
        start = rng.integers(0, LENGTH - len(MOTIF) + 1)
        seqs[i, start:start + len(MOTIF)] = motif
    return np.eye(4, dtype=np.uint8)[seqs].transpose(0, 2, 1), labels.astype(np.int64)

def write_h5(path: Path, n: int, rng: np.random.Generator):
    "Write `n` sequences and labels into the HDF5 file `path`."
    data, labels = make_sequences(n, rng)
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=data, compression="gzip")
        f.create_dataset("label", data=labels)

def make_data(out: Path, n_train: int, n_valid: int, n_test_batch: int, seed: int = 0):
    "Write the four HDF5 files into `out`."
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name, n in (("train.h5", n_train), ("valid.h5", n_valid), ("test.h5.batch1", n_test_batch), ("test.h5.batch2", n_test_batch)):
        write_h5(out / name, n, rng)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default="data", help="data directory (default: data)")
    parser.add_argument("--quick", action="store_true", help="small files for a smoke test")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = (1200, 300, 200) if args.quick else (4000, 1000, 500)
    make_data(Path(args.out), *sizes, seed=args.seed)
