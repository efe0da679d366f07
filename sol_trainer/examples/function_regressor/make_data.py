"""Write the data of the function_regressor example: a noisy nonlinear function of four inputs, as CSV files.

    python make_data.py data            # 4000 training, 1000 test and 500 prediction rows
    python make_data.py data --quick    # 600 / 200 / 100 rows, for a smoke test

Files: X_train.csv, Y_train.csv, X_test.csv, Y_test.csv and X_pred.csv (inputs only), each with a header line.
The same seed gives the same files.
"""
import argparse
from pathlib import Path

import numpy as np

N_INPUTS, NOISE = 4, 0.1

def target(X: np.ndarray) -> np.ndarray:
    "The function to learn: sin(2 x0) + x1 x2 - 0.5 x3^2."
    return np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] - 0.5 * X[:, 3] ** 2

def write_csv(path: Path, array: np.ndarray, names: list[str]):
    "Save a 2-D array as CSV with a header line."
    np.savetxt(path, array, delimiter=",", header=",".join(names), comments="", fmt="%.6f")

def make_data(out: Path, n_train: int, n_test: int, n_pred: int, seed: int = 0):
    "Write the five CSV files into `out`."
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    x_names = [f"x{i}" for i in range(N_INPUTS)]
    for split, n in (("train", n_train), ("test", n_test)):
        X = rng.uniform(-1.5, 1.5, size=(n, N_INPUTS))
        write_csv(out / f"X_{split}.csv", X, x_names)
        write_csv(out / f"Y_{split}.csv", (target(X) + NOISE * rng.normal(size=n))[:, None], ["y"])
    write_csv(out / "X_pred.csv", rng.uniform(-1.5, 1.5, size=(n_pred, N_INPUTS)), x_names)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default="data", help="data directory (default: data)")
    parser.add_argument("--quick", action="store_true", help="small files for a smoke test")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = (600, 200, 100) if args.quick else (4000, 1000, 500)
    make_data(Path(args.out), *sizes, seed=args.seed)
