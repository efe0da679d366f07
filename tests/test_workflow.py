"The seed README's usage pattern, end to end, and the promises around it."
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import train_test_split
from skopt import gp_minimize

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.ensemble import LinearEnsemble
from sol_trainer.models import Mlp
from sol_trainer.prepare import frame_tensors, model_dims
from sol_trainer.train import TrainConfig


def test_seed_usage_pattern(tmp_path, pic50_small):
    "prepare_train -> split -> gp_minimize over train_submodel -> HpConfig -> k-fold -> load -> eval with GpuWait."
    root = tmp_path / "model"
    fz = MorganFeaturizer(n_bits=128)
    dataframe, scaler_dict = st.train.prepare_train(pic50_small, fz, root_dir=root, progress=False)
    training_df, val_df = train_test_split(dataframe, test_size=0.2, stratify=dataframe.prop, random_state=0)
    dims = model_dims(frame_tensors(dataframe))

    def obj_func(x):
        hps = st.hyperparameters.HpConfig()
        hps.set_values({"r_learn": 10 ** x[0], "batch_size": x[1], "dropout_pct": x[2], "capacity": x[3],
                        "activation": torch.nn.functional.leaky_relu})
        return st.train.train_submodel(Mlp(**dims, hps=hps), training_df, val_df, scaler_dict,
                                       TrainConfig(hps=hps, epochs=2, progress=False))

    hp_space = [(np.log10(3e-4), np.log10(3e-2)), (4, 32), (0.0, 0.5), (1, 3)]
    opt_obj = gp_minimize(func=obj_func, dimensions=hp_space, n_calls=5, n_initial_points=3, random_state=0)
    hps = st.hyperparameters.HpConfig()
    hps.set_values({"r_learn": 10 ** opt_obj.x[0], "batch_size": opt_obj.x[1], "dropout_pct": opt_obj.x[2],
                    "capacity": opt_obj.x[3], "activation": torch.nn.functional.leaky_relu})
    st.train.train_kfold_ensemble(dataframe, Mlp, {}, TrainConfig(hps=hps, epochs=3, progress=False),
                                  st.train.train_submodel, None, scaler_dict, root, n_fold=2, random_seed=0)
    ensemble = st.load.load_ensemble(root, Mlp, "cpu", submodel_kwargs_dict={})
    with st.utils.GpuWait(patience=1, max_wait=3600, max_load=0.5):
        y, y_mean_hat, y_std_hat, selectors = st.infer.eval_ensemble(ensemble, root, pic50_small, fz, "cpu",
                                                                     ensemble_kwargs_dict={})
    assert np.allclose(y, pic50_small.value)
    assert y_mean_hat.shape == y_std_hat.shape == (len(pic50_small),)
    assert selectors.shape == (len(pic50_small), 0)
    assert 4 < y_mean_hat.mean() < 9  # pIC50 units, not scaled ones
    assert st.load.load_hps(root) == hps


def test_loaded_equals_in_memory(tmp_path, pic50_small):
    root, fz, kept = tmp_path / "model", MorganFeaturizer(n_bits=64), []
    df, scalers = st.train.prepare_train(pic50_small, fz, root_dir=root, progress=False)

    def keep(model, tr, va, sc, tc):
        kept.append(model)
        return st.train.train_submodel(model, tr, va, sc, tc)

    st.train.train_kfold_ensemble(df, Mlp, {}, TrainConfig(hps=st.hyperparameters.HpConfig(dropout_pct=0.2), epochs=3,
                                  progress=False), keep, scaler_dict=scalers, root_dir=root, n_fold=3)
    in_memory = LinearEnsemble(kept, scalers, ["pIC50"]).eval()
    loaded = st.load.load_ensemble(root, Mlp, "cpu")
    batch = frame_tensors(st.prepare.prepare_infer(pic50_small, fz, root, progress=False), with_y=False)
    for kwargs in ({}, {"n_passes": 5}):
        a, b = in_memory(batch, **kwargs), loaded(batch, **kwargs)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_kfold_ensemble_with_radam_in_lookahead(tmp_path, pic50_small):
    "The drugform trainer's optimizer trains a k-fold ensemble through HpConfig, and the root predicts."
    root = tmp_path / "model"
    df, scalers = st.train.prepare_train(pic50_small, MorganFeaturizer(n_bits=64), root_dir=root, progress=False)
    hps = st.hyperparameters.HpConfig(optimizer="lookahead_radam", r_learn=3e-3, capacity=1)
    losses = st.train.train_kfold_ensemble(df, Mlp, {}, TrainConfig(hps=hps, epochs=8, progress=False),
                                           scaler_dict=scalers, root_dir=root, n_fold=2)
    assert len(losses) == 2 and all(np.isfinite(losses))
    out = st.infer.predict(root, pic50_small.head(5), device="cpu")
    assert out["mean"].between(3, 11).all()


class SumModel(torch.nn.Module):
    "Predicts feat0 - feat1 (sorted feature order), like the original package's MathModel2."
    def __init__(self, **kwargs):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, batch):
        g = batch["graph_feats"]
        return (g[:, :1] - g[:, 1:2]) + 0 * self.dummy


def _trainer_noop(model, tr, va, sc, tc):
    return 0.0


def test_misordered_feats(tmp_path):
    "Same features in another key order give identical predictions; missing and extra keys are named."
    root = tmp_path / "model"
    train = pd.DataFrame({"prop": ["p"] * 4, "value": [1.0, 2.0, 3.0, 4.0],
                          "graph_feats": [{"feat0": 0, "feat1": 1}, {"feat1": 1, "feat0": 2}, {"feat0": 3, "feat1": 5},
                                          {"feat0": 9, "feat1": 4}]})
    df, scalers = st.train.prepare_train(train, root_dir=root, progress=False)
    st.train.train_kfold_ensemble(df, SumModel, {}, TrainConfig(hps=None, epochs=1, progress=False), _trainer_noop,
                                  scaler_dict=scalers, root_dir=root, n_fold=2)
    ens = st.load.load_ensemble(root, SumModel, "cpu")
    ordered = pd.DataFrame({"prop": ["p"], "graph_feats": [{"feat0": 12, "feat1": 13}]})
    misordered = pd.DataFrame({"prop": ["p"], "graph_feats": [{"feat1": 13, "feat0": 12}]})
    a = st.infer.eval_ensemble(ens, root, ordered, None, "cpu", ensemble_kwargs_dict={"n_passes": 2})
    b = st.infer.eval_ensemble(ens, root, misordered, None, "cpu", ensemble_kwargs_dict={"n_passes": 2})
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
    assert a[2][0] == 0
    bad = pd.DataFrame({"prop": ["p"], "graph_feats": [{"feat0": 12, "feat2": 1, "feat3": 1}]})
    with pytest.raises(KeyError) as err:
        st.infer.eval_ensemble(ens, root, bad, None, "cpu")
    assert str(err.value).strip("\"'") == ("DataFrame contains extra values in graph_feats: (0, 'feat2'), (0, 'feat3'). "
                                          "DataFrame contains missing values in graph_feats: (0, 'feat1')")


def test_classification_workflow(tmp_path):
    from sol_trainer.datasets import load_pic50_classification
    data = load_pic50_classification().sample(200, random_state=0).reset_index(drop=True)
    root, fz = tmp_path / "clf", MorganFeaturizer(n_bits=256)
    df, scalers = st.train.prepare_train(data, fz, root_dir=root, progress=False)
    assert df.y.dtype.kind == "i" and set(df.y) == {0, 1}
    st.train.train_kfold_ensemble(df, Mlp, {}, TrainConfig(epochs=15, progress=False), scaler_dict=scalers,
                                  root_dir=root, n_fold=2)
    assert st.load.load_classlabels(root) == ["active", "inactive"]
    ens = st.load.load_ensemble(root, Mlp, "cpu")
    y, labels, std, _ = st.infer.eval_ensemble(ens, root, data, fz, "cpu")
    assert set(labels) <= {"active", "inactive"}
    assert (labels == y).mean() > 0.8  # training data, so well above the 64 % majority rate
    assert ((std >= 0) & (std <= 0.5)).all()
