"Folds and search trials on a Dask LocalCluster: the same root and results table as a serial run, and a worker killed mid-fold or mid-trial changes nothing."
import os
import sys

import cloudpickle
import numpy as np
import pytest

pytest.importorskip("distributed")

from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.history import read_history
from sol_trainer.models import Mlp
from sol_trainer.root import read_oof
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble, train_submodel
from sol_trainer.utils import load_weights, read_json

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
TC = TrainConfig(hps=HpConfig(capacity=1, dropout_pct=0.1), epochs=3, progress=False)


def killed_once(model, train_df, val_df, scalers, tc):
    "Train, but kill this worker's process the first time fold 1 starts."
    marker = os.environ["SOL_TRAINER_TEST_MARKER"]
    if tc.fold_index == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return train_submodel(model, train_df, val_df, scalers, tc)


def trained(root, data, **kwargs):
    df, scalers = prepare_train(data, MorganFeaturizer(n_bits=128), root_dir=root, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=3, **kwargs)
    return root


def assert_same_root(a, b):
    for k in range(3):
        wa, wb = (load_weights(Mlp(128, 1, HpConfig(capacity=1, dropout_pct=0.1)), r / f"models/model_{k}.safetensors") for r in (a, b))
        for x, y in zip(wa.state_dict().values(), wb.state_dict().values()): np.testing.assert_allclose(x, y, atol=1e-4)
    oa, ob = read_oof(a), read_oof(b)
    assert (oa[["row", "fold", "prop"]] == ob[["row", "fold", "prop"]]).all().all()
    np.testing.assert_allclose(oa["prediction"], ob["prediction"], atol=1e-4)
    assert len(read_history(a)) == len(read_history(b))
    assert read_json(a / "manifest.json")["val_losses"] == pytest.approx(read_json(b / "manifest.json")["val_losses"], abs=1e-4)


@pytest.fixture(scope="module")
def serial(tmp_path_factory, pic50_small):
    return trained(tmp_path_factory.mktemp("serial") / "root", pic50_small)


def test_local_cluster_gives_the_serial_root(tmp_path, serial, pic50_small):
    assert_same_root(serial, trained(tmp_path / "dask", pic50_small, executor="local:2"))


def test_worker_killed_mid_fold_is_retried(tmp_path, serial, pic50_small, monkeypatch):
    from distributed import Client, LocalCluster
    monkeypatch.setenv("SOL_TRAINER_TEST_MARKER", str(tmp_path / "killed"))
    root = tmp_path / "faulty"
    df, scalers = prepare_train(pic50_small, MorganFeaturizer(n_bits=128), root_dir=root, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        train_kfold_ensemble(df, Mlp, {}, TC, killed_once, scaler_dict=scalers, root_dir=root, n_fold=3, executor=client)
    assert (tmp_path / "killed").exists()  # a worker did die mid-fold
    assert_same_root(serial, root)


def searched(data, tmp_path, executor):
    from sol_trainer.search import bayes_search
    df, scalers = prepare_train(data, MorganFeaturizer(n_bits=128), progress=False)
    trials = tmp_path / "trials.csv"
    bayes_search(df, scalers, Mlp, train_config=TrainConfig(hps=HpConfig(batch_size=16), epochs=2, progress=False), n_calls=4,
                 n_initial_points=2, n_fold=2, trials_path=trials, executor=executor, n_points=2)
    import pandas as pd
    return pd.read_csv(trials).drop(columns="seconds")


def test_search_on_a_cluster_gives_the_serial_table(tmp_path, pic50_small):
    serial, dask = searched(pic50_small, tmp_path / "s", None), searched(pic50_small, tmp_path / "d", "local:2")
    assert list(serial.columns) == list(dask.columns) and len(serial) == 4
    params = [c for c in serial.columns if c.startswith("param.")]
    assert (serial[["trial", *params]] == dask[["trial", *params]]).all().all()
    np.testing.assert_allclose(serial["metric.loss"], dask["metric.loss"], atol=1e-4)


def killed_trial(params, budget, trial_dir):
    "A toy objective whose worker dies the first time trial 1 starts."
    marker = os.environ["SOL_TRAINER_TEST_MARKER"]
    if trial_dir.name == "trial_001" and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return {"loss": (params["x"] - 1) ** 2}


def test_worker_killed_mid_trial_is_retried(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster
    from sol_trainer.cluster import DaskExecutor
    from sol_trainer.tune import Hyperparameters, bayes_opt
    monkeypatch.setenv("SOL_TRAINER_TEST_MARKER", str(tmp_path / "killed"))
    space = Hyperparameters().register("x", "real").set_range("x", -2.0, 2.0)
    run = lambda folder, executor: bayes_opt(space, killed_trial, 6, 1, folder, n_initial_points=2, executor=executor,
                                             n_points=2).drop(columns="seconds")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        faulty = run(tmp_path / "faulty", DaskExecutor(client))
    assert (tmp_path / "killed").exists()  # a worker did die mid-trial
    undisturbed = run(tmp_path / "serial", None)
    assert faulty.equals(undisturbed)
    assert sorted(p.name for p in (tmp_path / "faulty").glob("trial_*")) == [f"trial_00{i}" for i in range(6)]
