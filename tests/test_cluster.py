"""Folds and search trials on a Dask LocalCluster: the same root and results table, bit for bit, as a serial run on one torch thread
(what a 'local:N' worker runs on), and a worker killed mid-fold or mid-trial changes nothing. On more threads a serial search
keeps its trial count and random initial points; its later proposals may move (the executors chapter)."""
import os
import sys

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("distributed")

from sol_trainer.executors import torch_threads
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
    "The same weights, out-of-fold table, history (but its clock times) and fold losses, bit for bit."
    for k in range(3):
        wa, wb = (load_weights(Mlp(128, 1, HpConfig(capacity=1, dropout_pct=0.1)), r / f"models/model_{k}.safetensors") for r in (a, b))
        for (name, x), y in zip(wa.state_dict().items(), wb.state_dict().values()): assert torch.equal(x, y), (k, name)
    pd.testing.assert_frame_equal(read_oof(a), read_oof(b), check_exact=True)
    pd.testing.assert_frame_equal(read_history(a).drop(columns="time"), read_history(b).drop(columns="time"), check_exact=True)
    assert read_json(a / "manifest.json")["val_losses"] == read_json(b / "manifest.json")["val_losses"]


@pytest.fixture(scope="module")
def serial(tmp_path_factory, pic50_small):
    "The serial root, trained on one torch thread as a 'local:N' worker trains."
    with torch_threads(1): return trained(tmp_path_factory.mktemp("serial") / "root", pic50_small)


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


N_INITIAL = 2  # random points of the searches below, drawn from the seed alone


def searched(data, tmp_path, executor):
    "The results table (without the times) of a 4-trial Bayesian search, two proposals at a time."
    from sol_trainer.kfold_search import bayes_search
    df, scalers = prepare_train(data, MorganFeaturizer(n_bits=128), progress=False)
    bayes_search(df, scalers, Mlp, train_config=TrainConfig(hps=HpConfig(batch_size=16), epochs=2, progress=False), n_calls=4,
                 n_initial_points=N_INITIAL, n_fold=2, trials_path=tmp_path / "trials.csv", executor=executor, n_points=2)
    return pd.read_csv(tmp_path / "trials.csv").drop(columns="seconds")


@pytest.fixture(scope="module")
def serial_search(tmp_path_factory, pic50_small):
    "The serial search, its trials on one torch thread as on a 'local:N' worker."
    with torch_threads(1): return searched(pic50_small, tmp_path_factory.mktemp("serial_search"), None)


def test_search_on_a_cluster_gives_the_serial_table(tmp_path, serial_search, pic50_small):
    dask = searched(pic50_small, tmp_path, "local:2")
    assert len(serial_search) == 4 and serial_search["param.dropout_pct"].nunique() == 4
    pd.testing.assert_frame_equal(serial_search, dask, check_exact=True)  # every proposal and loss, to the last bit


def test_search_on_more_threads_keeps_its_start(tmp_path, serial_search, pic50_small):
    "On two threads the losses may differ in their last bits, so only the trial count and the random points are promised."
    with torch_threads(2): two = searched(pic50_small, tmp_path, None)
    assert list(two.columns) == list(serial_search.columns) and len(two) == len(serial_search)
    params = [c for c in two.columns if c.startswith("param.")]
    pd.testing.assert_frame_equal(two[["trial", *params]][:N_INITIAL], serial_search[["trial", *params]][:N_INITIAL], check_exact=True)
    np.testing.assert_allclose(two["metric.loss"][:N_INITIAL], serial_search["metric.loss"][:N_INITIAL], rtol=1e-5)


def killed_trial(params, budget, trial_dir):
    "A toy objective whose worker dies the first time trial 1 starts."
    marker = os.environ["SOL_TRAINER_TEST_MARKER"]
    if trial_dir.name == "trial_001" and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return {"loss": (params["x"] - 1) ** 2}


def test_worker_killed_mid_trial_is_retried(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster
    from sol_trainer.executors import DaskExecutor
    from sol_trainer.searchers import SearchSpace, bayes_opt
    monkeypatch.setenv("SOL_TRAINER_TEST_MARKER", str(tmp_path / "killed"))
    space = SearchSpace().register("x", "real").set_range("x", -2.0, 2.0)
    run = lambda folder, executor: bayes_opt(space, killed_trial, 6, 1, folder, n_initial_points=2, executor=executor,
                                             n_points=2).drop(columns="seconds")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        faulty = run(tmp_path / "faulty", DaskExecutor(client))
    assert (tmp_path / "killed").exists()  # a worker did die mid-trial
    undisturbed = run(tmp_path / "serial", None)
    assert faulty.equals(undisturbed)
    assert sorted(p.name for p in (tmp_path / "faulty").glob("trial_*")) == [f"trial_00{i}" for i in range(6)]
