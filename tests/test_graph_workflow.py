"The ensemble workflow with message-passing models: prepare -> search -> k-fold -> load from the root alone -> predict."
import json, subprocess, sys

import numpy as np
import pandas as pd
import pytest
import torch

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer, RDKit2DFeaturizer
from sol_trainer.graphs import GraphFeaturizer
from sol_trainer.hyperparameters import HpConfig, compute_max_batch
from sol_trainer.ensemble import LinearEnsemble
from sol_trainer.models import MODELS
from sol_trainer.mpnn import MpnnMlp, MtConcat_PolyMpnn_Mlp
from sol_trainer.prepare import frame_tensors
from sol_trainer.train import TrainConfig

FAST = TrainConfig(hps=HpConfig(batch_size=16, dropout_pct=0.1), epochs=2, progress=False)
SMALL = {"hidden": 32, "depth": 2}


def _train(tmp_path, data, featurizer, n_fold=2, keep=None, tc=FAST, kwargs=SMALL):
    root = tmp_path / "root"
    df, scalers = st.train.prepare_train(data, featurizer, root_dir=root, progress=False)
    trainer = st.train.train_submodel
    if keep is not None:
        def trainer(model, tr, va, sc, tc_):
            keep.append(model)
            return st.train.train_submodel(model, tr, va, sc, tc_)
    st.train.train_kfold_ensemble(df, MpnnMlp, dict(kwargs), tc, trainer, scaler_dict=scalers, root_dir=root, n_fold=n_fold)
    return root, df, scalers


def test_graph_inputs_convert_once(pic50_small):
    df, _ = st.train.prepare_train(pd.concat([pic50_small.assign(prop="a"), pic50_small.assign(prop="b")], ignore_index=True),
                                   GraphFeaturizer(), progress=False)
    assert len(df.inputs.graphs) == len(pic50_small)  # one graph per distinct molecule, shared by its two rows
    t = frame_tensors(df.iloc[[0, len(pic50_small)]])
    batch = t["graph"][torch.arange(2)]
    assert torch.equal(batch.x[batch.batch == 0], batch.x[batch.batch == 1])


def test_root_describes_itself(tmp_path, pic50_small):
    kept = []
    root, df, scalers = _train(tmp_path, pic50_small, [GraphFeaturizer(), RDKit2DFeaturizer(names=["MolLogP", "TPSA"])], keep=kept)
    model_json = json.loads((root / "metadata/model.json").read_text())
    assert model_json["class"] == "MpnnMlp" and model_json["kwargs"]["hidden"] == 32 and model_json["kwargs"]["input_dim"] == 2
    loaded = st.load.load_ensemble(root)
    y, mean, std, _ = st.infer.eval_ensemble(loaded, root, pic50_small)
    in_memory = LinearEnsemble(kept, scalers, ["pIC50"]).eval()
    batch = frame_tensors(st.prepare.prepare_infer(pic50_small, None, root, progress=False), with_y=False)
    for kwargs in ({}, {"n_passes": 4}):  # MC dropout too
        a, b = in_memory(batch, **kwargs), loaded(batch, **kwargs)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert np.allclose(mean, in_memory(batch)[0].numpy())
    assert 4 < mean.mean() < 9 and (std > 0).all()
    # the seed's full signatures keep working, with the same results
    _, mean2, _, _ = st.infer.eval_ensemble(st.load.load_ensemble(root, MtConcat_PolyMpnn_Mlp, "cpu"), root, pic50_small,
                                            [GraphFeaturizer(), RDKit2DFeaturizer(names=["MolLogP", "TPSA"])], "cpu")
    assert np.array_equal(mean, mean2)
    # a featurizer or class other than the recorded one is an error
    with pytest.raises(ValueError, match="differs from the one the model was trained with"):
        st.infer.eval_ensemble(loaded, root, pic50_small, GraphFeaturizer(polymer="dummy"))
    with pytest.raises(ValueError, match="trained with the model class 'MpnnMlp'"):
        st.load.load_ensemble(root, st.models.Mlp)
    oof = st.load.read_oof(root)
    assert sorted(oof.row) == list(range(len(pic50_small)))
    # a fresh process, which has imported neither the graph featurizer nor the model, loads the root too
    fresh = "import sys, sol_trainer as st; print(type(st.load.load_ensemble(sys.argv[1]).submodels[0]).__name__)"
    done = subprocess.run([sys.executable, "-c", fresh, str(root)], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "MpnnMlp", done.stderr


def test_unregistered_recorded_class_is_refused(tmp_path, pic50_small):
    root, _, _ = _train(tmp_path, pic50_small.head(40), GraphFeaturizer())
    path = root / "metadata/model.json"
    d = json.loads(path.read_text())
    d["class"] = "os.system"
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="model.json"):  # the checksum catches the edit first
        st.load.load_ensemble(root)
    with pytest.raises(ValueError, match="Unknown model class 'os.system'"):
        st.models.model_class("os.system")


def test_graph_feats_order_does_not_matter(tmp_path, pic50_small):
    data = pic50_small.head(60).copy()
    data["graph_feats"] = [{"a": float(i % 3), "b": float(i % 5)} for i in range(len(data))]
    root, _, _ = _train(tmp_path, data, GraphFeaturizer())
    ens = st.load.load_ensemble(root)
    _, m1, _, _ = st.infer.eval_ensemble(ens, root, data)
    flipped = data.assign(graph_feats=[{"b": d["b"], "a": d["a"]} for d in data.graph_feats])
    _, m2, _, _ = st.infer.eval_ensemble(ens, root, flipped)
    assert np.array_equal(m1, m2)


def test_multitask_classification_with_strings(tmp_path, pic50_small):
    data = pic50_small.head(60).assign(value=lambda d: np.where(d.value >= 6.5, "active", "inactive"))
    two = pd.concat([data.assign(prop="assay_a"), data.assign(prop="assay_b")], ignore_index=True)
    root, _, _ = _train(tmp_path, two, GraphFeaturizer())
    _, labels, std, sel = st.infer.eval_ensemble(st.load.load_ensemble(root), root, two)
    assert set(labels) <= {"active", "inactive"} and sel.shape == (len(two), 2)


def test_each_property_predicts_its_own_classes(tmp_path, pic50_small):
    "Two assays with different class names: each row's prediction and probabilities stay within its assay's classes."
    data = pic50_small.head(60)
    herg = data.assign(prop="herg", value=np.where(data.value >= 6.5, "blocker", "clean"))
    ames = data.assign(prop="ames", value=np.where(data.value >= 6.0, "mutagen", "negative"))
    two = pd.concat([herg, ames], ignore_index=True)
    root, _, _ = _train(tmp_path, two, GraphFeaturizer())
    assert st.root.load_input_spec(root).property_classes == {"ames": ["mutagen", "negative"],
                                                              "herg": ["blocker", "clean"]}
    out = st.infer.predict(root, two, device="cpu")
    for prop, own, other in (("herg", {"blocker", "clean"}, ["p_mutagen", "p_negative"]),
                             ("ames", {"mutagen", "negative"}, ["p_blocker", "p_clean"])):
        rows = out[out.prop == prop]
        assert set(rows["prediction"]) <= own and (rows[other].to_numpy() == 0).all()
    oof = st.load.read_oof(root)
    assert set(oof.prediction[oof.prop == "herg"]) <= {"blocker", "clean"}


def test_polymers_train_and_predict(tmp_path):
    units = ["[*]CC[*]", "[*]CC(C)[*]", "[*]CC(c1ccccc1)[*]", "[*]CCO[*]", "[*]C(F)(F)C(F)(F)[*]", "[*]CC(Cl)[*]",
             "[*]CC(C#N)[*]", "[*]CC(=O)O[*]", "[*]c1ccc(cc1)O[*]", "[*]CCCCCC[*]", "[*]CC(O)[*]", "[*]C[*]"]
    data = pd.DataFrame({"smiles_string": units, "prop": "Tg", "value": np.linspace(200.0, 420.0, len(units))})
    root, _, _ = _train(tmp_path, data, GraphFeaturizer())
    _, mean, _, _ = st.infer.eval_ensemble(st.load.load_ensemble(root), root, data)
    assert mean.shape == (len(units),) and 150 < mean.mean() < 450


def test_bad_smiles_named_before_training(tmp_path, pic50_small):
    bad = pic50_small.head(20).copy()
    bad.loc[3, "smiles_string"] = "C1CC"
    with pytest.raises(ValueError, match="row 3: RDKit cannot parse the SMILES: 'C1CC'"):
        st.train.prepare_train(bad, GraphFeaturizer(), root_dir=tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()
    with pytest.raises(ValueError, match="At most one graph featurizer"):
        st.train.prepare_train(pic50_small, [GraphFeaturizer(), GraphFeaturizer()], progress=False)


def test_max_batch_and_search_on_graphs(tmp_path, pic50_small):
    df, scalers = st.train.prepare_train(pic50_small, [GraphFeaturizer(), MorganFeaturizer(n_bits=16)], progress=False)
    tensors = frame_tensors(df)
    model = MpnnMlp(**st.prepare.model_dims(tensors), **SMALL)
    assert compute_max_batch(model, tensors, "cpu", init_size=64) == 64
    space = st.kfold_search.default_space(60).set_value("capacity", 1)
    hps = st.kfold_search.bayes_search(df, scalers, MpnnMlp, space, TrainConfig(hps=HpConfig(), epochs=1, progress=False), n_calls=2,
                                 n_initial_points=1, n_fold=2, folder=tmp_path / "search", submodel_kwargs_dict=SMALL)
    assert isinstance(hps, HpConfig)
    assert "MpnnMlp" in MODELS


def test_swa_batchnorm_and_early_stopping_on_graphs(tmp_path, pic50_small):
    tc = TrainConfig(hps=HpConfig(batch_size=16, optimizer="swa", norm="batch"), epochs=4, patience=2, progress=False)
    root, _, _ = _train(tmp_path, pic50_small.head(80), GraphFeaturizer(), tc=tc)
    _, mean, _, _ = st.infer.eval_ensemble(st.load.load_ensemble(root), root, pic50_small.head(80))
    assert np.isfinite(mean).all() and 4 < mean.mean() < 9
