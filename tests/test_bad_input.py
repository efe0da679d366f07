"Every kind of bad input fails with a clear message before training, leaving nothing half-written."
import numpy as np
import pandas as pd
import pytest

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble

FZ = MorganFeaturizer(n_bits=64)
TC = TrainConfig(hps=HpConfig(capacity=1), epochs=1, progress=False)


def listing(path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*")) if path.exists() else []


def test_missing_column(tmp_path, pic50_small):
    with pytest.raises(KeyError, match="'value'"):
        prepare_train(pic50_small.drop(columns="value"), FZ, root_dir=tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def test_nan_values_name_rows(tmp_path, pic50_small):
    df = pic50_small.copy()
    df.loc[[3, 7], "value"] = np.nan
    with pytest.raises(ValueError, match="Column 'value' has null values in rows 3, 7"):
        prepare_train(df, FZ, root_dir=tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def test_unparsable_smiles_name_rows(tmp_path, pic50_small):
    df = pic50_small.copy()
    df.loc[[5, 11], "smiles_string"] = ["C1CC", "not a molecule"]
    with pytest.raises(ValueError) as err:
        prepare_train(df, FZ, root_dir=tmp_path / "r", progress=False)
    assert "5" in str(err.value) and "11" in str(err.value) and "C1CC" in str(err.value)
    assert not (tmp_path / "r").exists()


def test_empty_frame(tmp_path, pic50_small):
    with pytest.raises(ValueError, match="empty"):
        prepare_train(pic50_small.iloc[:0], FZ, root_dir=tmp_path / "r", progress=False)


def test_feature_dict_missing_keys(tmp_path):
    df = pd.DataFrame({"prop": ["p"] * 3, "value": [1.0, 2.0, 3.0],
                       "graph_feats": [{"a": 1, "b": 2}, {"a": 1}, {"b": 3, "a": 0}]})
    with pytest.raises(KeyError, match=r"DataFrame contains missing values in graph_feats: \(1, 'b'\)"):
        prepare_train(df, root_dir=tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def test_more_folds_than_rows(tmp_path, pic50_small):
    root = tmp_path / "r"
    df, scalers = prepare_train(pic50_small.head(3), FZ, root_dir=root, progress=False)
    before = listing(root)
    with pytest.raises(ValueError, match="n_fold=5 is more than the 3 distinct samples"):
        train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=5)
    assert listing(root) == before


def test_root_with_another_model(tmp_path, pic50_small):
    root = tmp_path / "r"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    before = {p: (root / p).read_bytes() for p in listing(root) if (root / p).is_file()}
    with pytest.raises(FileExistsError, match="already holds a trained model"):
        prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    with pytest.raises(FileExistsError, match="already holds a trained model"):
        train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    assert {p: (root / p).read_bytes() for p in listing(root) if (root / p).is_file()} == before


def test_unknown_property_at_inference(tmp_path, pic50_small):
    root = tmp_path / "r"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    ens = st.load.load_ensemble(root, Mlp, "cpu")
    bad = pic50_small.head(4).assign(prop=["pIC50", "logD", "pIC50", "logD"])
    with pytest.raises(KeyError, match=r"Unknown property \['logD'\] in rows 1, 3"):
        st.infer.eval_ensemble(ens, root, bad, FZ, "cpu")


def test_interrupted_training_leaves_root_as_prepared(tmp_path, pic50_small):
    root = tmp_path / "r"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    before = listing(root)

    def interrupted(model, tr, va, sc, tc):
        if tc.fold_index == 1: raise KeyboardInterrupt
        return st.train.train_submodel(model, tr, va, sc, tc)

    with pytest.raises(KeyboardInterrupt):
        train_kfold_ensemble(df, Mlp, {}, TC, interrupted, scaler_dict=scalers, root_dir=root, n_fold=2)
    assert listing(root) == before
    with pytest.raises(FileNotFoundError, match="manifest.json is missing"):
        st.load.load_ensemble(root, Mlp, "cpu")


def test_loading_never_unpickles(tmp_path, pic50_small):
    "A pickle planted as a weights file is refused, not executed."
    import pickle
    root = tmp_path / "r"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    weights = root / "models" / "model_0.safetensors"
    weights.write_bytes(pickle.dumps({"boom": 1}))
    with pytest.raises(ValueError, match="model_0.safetensors does not match its checksum"):
        st.load.load_ensemble(root, Mlp, "cpu")
    with pytest.raises(ValueError, match="not a readable safetensors"):
        st.utils.load_weights(Mlp(64), weights)
