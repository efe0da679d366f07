"""Write the model roots kept under tests/data/roots and the predictions they must keep giving (tests/test_saved_roots.py).

The roots in the repository were written by sol_trainer 0.4.0 at commit 053d2a3, before the model root became an object:

    git worktree add /tmp/old 053d2a3 && cd /tmp/old && PYTHONPATH=/tmp/old python /path/to/tests/data/make_roots.py /path/to/tests/data

Each root is tiny (two folds, a few epochs) so that it stays small in the repository; what matters is that it still loads
and predicts the same numbers, not that it predicts well.
"""
import shutil, sys
from pathlib import Path

import pandas as pd

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble

QUERIES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "O=C(O)c1ccccc1"]


def vector_root(folder: Path):
    data = st.datasets.load_multitask().groupby("prop").sample(40, random_state=0).reset_index(drop=True)
    df, scalers = prepare_train(data, MorganFeaturizer(n_bits=64), root_dir=folder, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TrainConfig(hps=HpConfig(capacity=1, dropout_pct=0.1), epochs=3, progress=False),
                         scaler_dict=scalers, root_dir=folder, n_fold=2)


def graph_root(folder: Path):
    from sol_trainer.graphs import GraphFeaturizer
    from sol_trainer.mpnn import MpnnMlp
    data = st.datasets.load_tpsa().sample(40, random_state=0).reset_index(drop=True)
    df, scalers = prepare_train(data, GraphFeaturizer(), root_dir=folder, progress=False)
    train_kfold_ensemble(df, MpnnMlp, {"hidden": 16, "depth": 2, "readout": "norm"},
                         TrainConfig(hps=HpConfig(capacity=1, dropout_pct=0.0), epochs=3, progress=False),
                         scaler_dict=scalers, root_dir=folder, n_fold=2)


def main(out: Path):
    rows = []
    for name, make in (("vector", vector_root), ("graph", graph_root)):
        folder = out / "roots" / name
        shutil.rmtree(folder, ignore_errors=True)
        make(folder)
        for lock in folder.glob(".sol_trainer.lock*"): lock.unlink()
        props = st.load.load_ensemble(folder, device="cpu").properties
        queries = pd.DataFrame([(s, p) for s in QUERIES for p in props], columns=["smiles_string", "prop"])
        for calibrate in (False, True):
            rows.append(st.infer.predict(folder, queries, calibrate=calibrate).assign(root=name, calibrated=calibrate))
    pd.concat(rows).to_csv(out / "roots" / "expected.csv", index=False, float_format="%.9g")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
