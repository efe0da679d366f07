"`st.infer.predict` on regression and classification roots: calibrated columns, temperature scaling, the domain, and the errors."
import json

import numpy as np
import pandas as pd
import pytest

from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.infer import eval_ensemble, predict
from sol_trainer.load import load_ensemble
from sol_trainer.models import Mlp
from sol_trainer.root import CALIBRATION_FILE, MANIFEST_FILE, OOF_FILE, read_oof
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble
from sol_trainer.utils import read_json

FZ = MorganFeaturizer(n_bits=128)
TC = TrainConfig(hps=HpConfig(capacity=1, dropout_pct=0.2), epochs=3, progress=False)


def trained(root, frame, n_fold=2):
    df, scalers = prepare_train(frame, FZ, root_dir=root, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=n_fold)
    return root


@pytest.fixture(scope="module")
def labelled(pic50_small):
    return pic50_small.assign(value=np.where(pic50_small["value"] >= 6.5, "active", "inactive"))


@pytest.fixture(scope="module")
def classifier(tmp_path_factory, labelled):
    return trained(tmp_path_factory.mktemp("cls") / "root", labelled)


@pytest.fixture(scope="module")
def regressor(tmp_path_factory, pic50_small):
    return trained(tmp_path_factory.mktemp("reg") / "root", pic50_small)


def test_classifier_oof_and_temperature(classifier, labelled):
    oof = read_oof(classifier)
    assert {"p_active", "p_inactive", "smiles_string", "similarity"} <= set(oof.columns)
    np.testing.assert_allclose(oof[["p_active", "p_inactive"]].sum(axis=1), 1, atol=1e-5)
    spec = read_json(classifier / CALIBRATION_FILE)
    assert spec["task"] == "classification" and 0.05 <= spec["temperature"] <= 20
    assert spec["ece_after"] <= spec["ece_before"] + 1e-9  # the fitted temperature never worsens the out-of-fold ECE much
    pred = predict(classifier, labelled.drop(columns="value").head(30))
    assert list(pred.columns[-6:]) == ["prediction", "p_active", "p_inactive", "similarity", "in_domain", "domain_note"]
    np.testing.assert_allclose(pred[["p_active", "p_inactive"]].sum(axis=1), 1, atol=1e-5)
    raw = predict(classifier, labelled.drop(columns="value").head(30), calibrate=False)
    assert (pred["prediction"] == raw["prediction"]).all()  # a temperature never changes the predicted class
    _, labels, _, _ = eval_ensemble(load_ensemble(classifier, device="cpu"), classifier, labelled.head(30))
    assert (raw["prediction"].to_numpy() == labels).all()


def test_regression_columns_and_order(regressor, pic50_small):
    frame = pic50_small.sample(25, random_state=1)
    pred = predict(regressor, frame)
    assert (pred.index == frame.index).all() and (pred["smiles_string"] == frame["smiles_string"]).all()
    assert ((pred["lower"] < pred["mean"]) & (pred["mean"] < pred["upper"])).all()
    assert (pred["std"] > 0).all()
    assert pred["similarity"].max() == pytest.approx(1.0)  # training molecules are their own nearest neighbours


def test_frame_without_value(regressor, pic50_small):
    pred = predict(regressor, pic50_small.drop(columns="value").head(5))
    assert len(pred) == 5 and "value" not in pred


@pytest.mark.parametrize("level", [0, 1, -0.1, 1.2, "0.9", None, True])
def test_bad_levels(regressor, pic50_small, level):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        predict(regressor, pic50_small.head(3), interval=level)


def test_root_without_calibration(tmp_path, regressor, pic50_small):
    import shutil
    old = tmp_path / "old"
    shutil.copytree(regressor, old, ignore=shutil.ignore_patterns(".sol_trainer.lock*"))
    manifest = json.loads((old / MANIFEST_FILE).read_text())
    for rel in (CALIBRATION_FILE, OOF_FILE):
        (old / rel).unlink(); del manifest["files"][rel]
    (old / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(FileNotFoundError, match=r"Retrain it, or predict without calibration \(calibrate=False, or --uncalibrated"):
        predict(old, pic50_small.head(3))
    pred = predict(old, pic50_small.head(3), calibrate=False)  # no out-of-fold table: no domain either
    assert pred["similarity"].isna().all() and pred["in_domain"].isna().all()


def test_too_few_rows_named(tmp_path, pic50_small):
    root = trained(tmp_path / "few", pic50_small.head(24))
    with pytest.raises(ValueError, match=r"Property 'pIC50' has only 24 out-of-fold rows; calibration needs at least 30"):
        predict(root, pic50_small.head(3))
    assert len(predict(root, pic50_small.head(3), calibrate=False)) == 3


def test_unknown_property_is_named(regressor, pic50_small):
    with pytest.raises((KeyError, ValueError), match="logS"):  # named by the data preparation
        predict(regressor, pic50_small.head(3).assign(prop="logS"))


def test_graph_root_predicts_with_intervals(tmp_path, pic50_small):
    from sol_trainer.graphs import GraphFeaturizer
    from sol_trainer.mpnn import MpnnMlp
    root = tmp_path / "graph"
    df, scalers = prepare_train(pic50_small, GraphFeaturizer(), root_dir=root, progress=False)
    train_kfold_ensemble(df, MpnnMlp, {"hidden": 32, "depth": 2}, TrainConfig(hps=HpConfig(batch_size=16), epochs=2, progress=False),
                         scaler_dict=scalers, root_dir=root, n_fold=2)
    assert (read_oof(root)["spread"] == 0).all()  # no dropout: no MC spread, σ rests on similarity and the submodels' spread
    pred = predict(root, pic50_small.head(10))
    assert ((pred["lower"] < pred["mean"]) & (pred["mean"] < pred["upper"])).all()
