"Every kind of bad input fails with a clear message before training, leaving nothing half-written."
import numpy as np
import pandas as pd
import pytest

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble
from sol_trainer.utils import LOCK_FILE

FZ = MorganFeaturizer(n_bits=64)
TC = TrainConfig(hps=HpConfig(capacity=1), epochs=1, progress=False)


def listing(path):
    "The files and folders under `path`, but for the root's lock files (they stay, by design)."
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if not p.name.startswith(LOCK_FILE)) if path.exists() else []


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


# Issue 12, section 5: inputs that used to be accepted silently or to fail deep inside a library ---------------------

def refused(tmp_path, df, error, match, featurizer=FZ, **kwargs):
    "prepare_train refuses `df` with `error` matching `match`, and leaves no root behind."
    root = tmp_path / "r"
    with pytest.raises(error, match=match):
        prepare_train(df, featurizer, root_dir=root, progress=False, **kwargs)
    assert not root.exists()


@pytest.mark.parametrize("values, match", [
    (["6.5", "7.1", "5.0"], r"numbers written as text in rows 0, 1, 2 \(row 0: '6.5'\); convert the column with pd.to_numeric"),
    (["active", "6.5", "inactive"], r"numbers written as text in rows 1 \(row 1: '6.5'\)"),
    (np.array([5 + 1j, 6, 7]), r"complex numbers in rows 0, 1, 2"),
    ([5.0, 6 + 1j, 7.0], r"complex numbers in rows 1 \(row 1: \(6\+1j\)\)"),
    ([5.0, {"a": 1}, 7.0], r"neither numbers nor strings in rows 1"),
])
def test_labels_of_the_wrong_type_name_rows(tmp_path, pic50_small, values, match):
    column = pd.Series(values, dtype=object) if isinstance(values, list) else values
    refused(tmp_path, pic50_small.head(3).assign(value=column), TypeError, match)


def test_labels_that_overflow_or_are_infinite(tmp_path, pic50_small):
    huge = pic50_small.head(4).assign(value=[1e300, -1e300, 5e299, -2e299])
    refused(tmp_path, huge, ValueError, r"Property 'pIC50': StandardScaler: the fitted statistics are not finite \(the values reach 1e\+300\)")
    refused(tmp_path, pic50_small.head(3).assign(value=[5.0, np.inf, 6.0]), ValueError, r"infinite values .* in rows 1")


def test_property_names_must_be_strings(tmp_path, pic50_small):
    refused(tmp_path, pic50_small.head(4).assign(prop=1), TypeError, r"Column 'prop' holds non-strings in rows 0, 1, 2, 3 .*astype\(str\)")
    refused(tmp_path, pic50_small.head(4).assign(prop=["a", 1, "a", 2]), TypeError, r"non-strings in rows 1, 3 \(row 1: 1\)")


@pytest.mark.parametrize("feats, error, match", [
    ([{"a": 1.0, 2: 3.0}, {"a": 2.0, 2: 1.0}], TypeError, r"non-string feature names in graph_feats: \(0, 2\), \(1, 2\)"),
    ([{"a": 1.0}, {"a": "abc"}], TypeError, r"non-numeric values in graph_feats: \(1, 'a'\): 'abc'"),
    ([{"a": 1.0}, {"a": None}], TypeError, r"non-numeric values in graph_feats: \(1, 'a'\): None"),
    ([{"a": 1.0}, {"a": [1, 2]}], TypeError, r"non-numeric values in graph_feats: \(1, 'a'\): \[1, 2\]"),
    ([{}, {}], ValueError, r"Column 'graph_feats' has no features"),
])
def test_bad_feature_dicts_name_row_and_key(tmp_path, feats, error, match):
    df = pd.DataFrame({"prop": ["p"] * 2, "value": [1.0, 2.0], "graph_feats": feats})
    refused(tmp_path, df, error, match, featurizer=None)


def test_root_dir_that_is_a_file(tmp_path, pic50_small):
    (tmp_path / "f").write_text("a file")
    with pytest.raises(NotADirectoryError, match="is an existing file, not a folder"):
        prepare_train(pic50_small, FZ, root_dir=tmp_path / "f", progress=False)
    with pytest.raises(NotADirectoryError, match=f"cannot be created: {tmp_path / 'f'} is a file"):
        prepare_train(pic50_small, FZ, root_dir=tmp_path / "f" / "r", progress=False)
    assert listing(tmp_path) == ["f"]


def test_conflicting_duplicates(tmp_path, pic50_small, caplog):
    df = pd.concat([pic50_small.head(5), pic50_small.head(2).assign(value=[1.0, 2.0])], ignore_index=True)  # rows 5, 6 repeat 0, 1
    prepared, _ = prepare_train(df, FZ, progress=False)
    assert len(prepared) == 7
    assert "'pIC50': 2 molecules on 4 rows" in caplog.text and "in rows 0, 5" in caplog.text
    caplog.clear()
    prepare_train(pd.concat([pic50_small.head(3)] * 2, ignore_index=True), FZ, progress=False)
    assert caplog.text == ""  # identical repeats stay quiet
    merged, scalers = prepare_train(df, FZ, progress=False, duplicates="median")
    assert len(merged) == 5 and merged.value[0] == (df.value[0] + 1.0) / 2
    refused(tmp_path, df, ValueError, r"Molecules measured several times with different values .* rows 0, 5", duplicates="error")
    refused(tmp_path, df.assign(value="active"), ValueError, r"duplicates='mean' needs numeric values", duplicates="mean")


def test_epochs_zero_is_refused_before_training(tmp_path, pic50_small):
    with pytest.raises(ValueError, match="TrainConfig: epochs must be an integer >= 1, got 0"):
        TrainConfig(hps=HpConfig(capacity=1), epochs=0, progress=False)


def test_check_prepared(tmp_path, pic50_small):
    "The frame, the scalers and the root must all come from one prepare_train call; rows of the frame are fine."
    from sol_trainer.prepare import check_prepared
    root = tmp_path / "r64"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    meta = st.root.load_input_spec(root)
    check_prepared(df, scalers, meta, root)
    check_prepared(df.sample(frac=0.5, random_state=0).reset_index(drop=True), scalers, meta, root)
    wide, wide_scalers = prepare_train(pic50_small, MorganFeaturizer(n_bits=128), progress=False)
    with pytest.raises(ValueError, match=r"The frame's inputs \(selector 0, x 128\) differ from those .* \(selector 0, x 64\)"):
        check_prepared(wide, scalers, meta, root)
    _, other_scalers = prepare_train(pic50_small.assign(value=pic50_small.value * 1000), FZ, progress=False)
    with pytest.raises(ValueError, match=f"pass the scaler_dict returned by the prepare_train call that prepared {root}"):
        check_prepared(df, other_scalers, meta, root)
    with pytest.raises(KeyError, match=r"scaler_dict has the properties \[\]"):
        check_prepared(df, {}, meta, root)
    with pytest.raises(TypeError, match="prepared by prepare_infer"):
        check_prepared(st.prepare.prepare_infer(pic50_small, FZ, root, progress=False), scalers, meta, root)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, pic50_small):
    "A small trained root and its loaded ensemble."
    root = tmp_path_factory.mktemp("trained") / "r"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    return root, st.load.load_ensemble(root, Mlp, "cpu")


@pytest.mark.parametrize("change, error, match", [
    (lambda d: d.assign(value=["n/a"] + list(d.value[1:])), TypeError, r"must hold numbers for a regression model, but rows 0 do not \(row 0: 'n/a'\)"),
    (lambda d: d.drop(columns="smiles_string"), KeyError, "at least one input column"),
    (lambda d: d.assign(prop=1), TypeError, r"Column 'prop' holds non-strings"),
])
def test_eval_ensemble_bad_frames(trained, pic50_small, change, error, match):
    root, ens = trained
    with pytest.raises(error, match=match):
        st.infer.eval_ensemble(ens, root, change(pic50_small.head(4)), FZ, "cpu")


def test_eval_ensemble_bad_arguments(tmp_path, trained, pic50_small):
    root, ens = trained
    data = pic50_small.head(4)
    with pytest.raises(TypeError, match="ensemble must be a LinearEnsemble"):
        st.infer.eval_ensemble(root, root, data)
    with pytest.raises(FileNotFoundError, match="is not a complete model root"):
        st.infer.eval_ensemble(ens, tmp_path, data)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        st.infer.eval_ensemble(ens, root, data, batch_size=0)
    wide = tmp_path / "wide"  # the same property and labels, another featurizer: only the weights' shapes differ
    df, scalers = prepare_train(pic50_small, MorganFeaturizer(n_bits=32), root_dir=wide, progress=False)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=wide, n_fold=2)
    with pytest.raises(ValueError, match="do not have the shapes of those saved in"):
        st.infer.eval_ensemble(ens, wide, data)


def test_line_separators_in_names_round_trip(tmp_path, pic50_small):
    "Property names and class labels with \\n, \\r and U+2028 survive preparation, training, loading and prediction."
    props = ["p\nq", "r\rs", "t\u2028u"]
    data = pic50_small.head(60).assign(prop=[props[i % 3] for i in range(60)],
                                      value=[["act\nive", "in\u2028active"][i % 2] for i in range(60)])
    root = tmp_path / "r"
    df, scalers = prepare_train(data, FZ, root_dir=root, progress=False)
    assert sorted(scalers) == sorted(props)
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    ens = st.load.load_ensemble(root, Mlp, "cpu")
    assert ens.properties == sorted(props) and ens.class_labels == ["act\nive", "in\u2028active"]
    _, labels, _, selectors = st.infer.eval_ensemble(ens, root, data.head(6), FZ, "cpu")
    assert set(labels) <= {"act\nive", "in\u2028active"} and selectors.shape == (6, 3)
