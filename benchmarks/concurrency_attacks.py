"""Two writers, killed writers and interrupted commits on real model roots, tallied.

Each round prepares a small root (40 bundled pIC50 rows, 64-bit Morgan fingerprints, `HpConfig(capacity=1)`, one epoch)
and attacks it:

- `two writers`: two processes start `train_kfold_ensemble` into the same root at once. Expected: exactly one exits 0,
  the other fails at once with `FolderBusyError` naming the root and the first one's pid, and the root loads.
- `kill the holder`: a training process is SIGKILLed at a random moment (before, during or after saving); then a new
  training into the same root runs. Expected: the rerun is not blocked by a stale lock, and the root it leaves loads
  (or the killed run had already committed, and the rerun is refused because the root holds a model).
- `crash in commit, fewer folds`: a 4-fold commit fails after moving some files (any of them), then a 2-fold run
  trains into the same root. Expected: the root loads with exactly 2 submodels.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/concurrency_attacks.py [--rounds N]
"""
import argparse, os, random, signal, subprocess, sys, tempfile, textwrap, time
from collections import Counter
from pathlib import Path

TRAIN = textwrap.dedent("""
    import sys
    from sol_trainer.datasets import load_pic50
    from sol_trainer.featurize import MorganFeaturizer
    from sol_trainer.hyperparameters import HpConfig
    from sol_trainer.models import Mlp
    from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble
    root, n_fold = sys.argv[1], int(sys.argv[2])
    df = load_pic50().sample(40, random_state=0).reset_index(drop=True)
    prepared, scalers = prepare_train(df, MorganFeaturizer(n_bits=64), progress=False)  # in memory: the root is prepared already
    print("start", flush=True)
    train_kfold_ensemble(prepared, Mlp, None, TrainConfig(hps=HpConfig(capacity=1), epochs=int(sys.argv[3]), progress=False),
                         scaler_dict=scalers, root_dir=root, n_fold=n_fold)
""")


def prepare(folder: Path) -> Path:
    from sol_trainer.datasets import load_pic50
    from sol_trainer.featurize import MorganFeaturizer
    from sol_trainer.train import prepare_train
    root = folder / "root"
    prepare_train(load_pic50().sample(40, random_state=0).reset_index(drop=True), MorganFeaturizer(n_bits=64), root_dir=root, progress=False)
    return root


def loads(root: Path, n_models: int | None = None) -> bool:
    from sol_trainer.load import load_ensemble
    try: ensemble = load_ensemble(root, device="cpu")
    except Exception as e: print("   load failed:", type(e).__name__, e); return False
    return n_models is None or len(ensemble.submodels) == n_models


def train(root: Path, n_fold=2, epochs=3) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", TRAIN, str(root), str(n_fold), str(epochs)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def two_writers(folder: Path) -> str:
    root = prepare(folder)
    a, b = train(root), train(root)
    (_, err_a), (_, err_b) = a.communicate(), b.communicate()
    codes = sorted([a.returncode, b.returncode])
    loser = err_a if a.returncode else err_b
    winner = b if a.returncode else a
    named = f"model root {root} is being written by process {winner.pid}" in loser
    return "held" if codes[0] == 0 and codes[1] != 0 and "FolderBusyError" in loser and named and loads(root, 2) else "broken"


def kill_the_holder(folder: Path, rng: random.Random) -> str:
    root = prepare(folder)
    proc = train(root, epochs=2)
    proc.stdout.readline()
    time.sleep(rng.uniform(0, 3.0))
    proc.send_signal(signal.SIGKILL); proc.wait()
    start = time.monotonic()
    rerun = train(root, epochs=1)
    _, err = rerun.communicate()
    if rerun.returncode != 0:
        return "held" if "already holds a trained model" in err and loads(root) else "broken"
    return "held" if loads(root, 2) and time.monotonic() - start < 120 else "broken"


def crash_in_commit(folder: Path, rng: random.Random) -> str:
    import sol_trainer as st
    from sol_trainer.datasets import load_pic50
    from sol_trainer.featurize import MorganFeaturizer
    from sol_trainer.hyperparameters import HpConfig
    from sol_trainer.models import Mlp
    from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble
    root = folder / "root"
    df, scalers = prepare_train(load_pic50().sample(40, random_state=0).reset_index(drop=True), MorganFeaturizer(n_bits=64),
                                root_dir=root, progress=False)
    tc = TrainConfig(hps=HpConfig(capacity=1), epochs=1, progress=False)
    real, moved, limit = os.replace, [], rng.randint(0, 9)
    def failing(src, dst):
        if ".staging-" in str(src) and ".staging-" not in str(dst):
            if len(moved) == limit: raise OSError("disk unplugged")
            moved.append(dst)
        real(src, dst)
    st.root.os.replace = failing
    try: train_kfold_ensemble(df, Mlp, None, tc, scaler_dict=scalers, root_dir=root, n_fold=4)
    except OSError: pass
    finally: st.root.os.replace = real
    train_kfold_ensemble(df, Mlp, None, tc, scaler_dict=scalers, root_dir=root, n_fold=2)
    return "held" if loads(root, 2) else "broken"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args, rng, tally = parser.parse_args(), random.Random(0), Counter()
    for i in range(args.rounds):
        for name, attack in [("two writers", two_writers), ("kill the holder", lambda f: kill_the_holder(f, rng)),
                             ("crash in commit, fewer folds", lambda f: crash_in_commit(f, rng))]:
            with tempfile.TemporaryDirectory() as d:
                outcome = attack(Path(d))
            tally[name, outcome] += 1
            print(f"round {i}: {name}: {outcome}", flush=True)
    print()
    for name in ("two writers", "kill the holder", "crash in commit, fewer folds"):
        print(f"{name:30s} tried {tally[name, 'held'] + tally[name, 'broken']:3d}   held {tally[name, 'held']:3d}   broken {tally[name, 'broken']:3d}")


if __name__ == "__main__":
    main()
