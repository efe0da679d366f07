import json
import pickle

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from sol_trainer.featurize import (ConcatFeaturizer, MorganFeaturizer, RDKit2DFeaturizer, SmilesParseError, featurize,
                                   featurizer_from_dict)


def test_morgan_benzene_bits():
    v = MorganFeaturizer()("c1ccccc1")
    assert v.shape == (2048,) and v.dtype == np.float32
    assert v.sum() == 3.0 and set(np.unique(v)) == {0.0, 1.0}
    assert MorganFeaturizer(counts=True)("c1ccccc1").sum() == 18.0


def test_morgan_polymer_end_groups():
    m = MorganFeaturizer()
    pe, pp = m("[*]CC[*]"), m("[*]CCC[*]")
    assert not np.array_equal(pe, pp)
    assert not np.array_equal(pe, m("CC"))  # '*' is kept as a dummy atom, not replaced by H
    assert m("[*]CC(C)[*]").sum() > 0


def test_unparsable_smiles_raises_value_error():
    with pytest.raises(ValueError, match="'CC\\('"):
        MorganFeaturizer()("CC(")
    with pytest.raises(SmilesParseError):
        RDKit2DFeaturizer(["MolWt"])("")


def test_ethanol_descriptors():
    f = RDKit2DFeaturizer()
    d = dict(zip(f.names, f("CCO")))
    assert d["MolWt"] == pytest.approx(46.07, abs=0.01)
    assert d["NumHDonors"] == 1.0
    assert f.names == [n for n, _ in Descriptors._descList]


def test_descriptor_nan_inf_and_overflow(monkeypatch):
    def boom(mol): raise RuntimeError("descriptor failed")
    fake = [("MolWt", lambda m: float("nan")), ("TPSA", lambda m: float("inf")), ("qed", boom),
            ("BertzCT", lambda m: 1e300), ("HeavyAtomCount", lambda m: -1e300)]
    monkeypatch.setattr(Descriptors, "_descList", fake)
    v = RDKit2DFeaturizer()("CCO")
    f32 = np.finfo(np.float32).max
    np.testing.assert_array_equal(v, np.array([0, 0, 0, f32, -f32], dtype=np.float32))


def test_real_nan_descriptors_of_polymer_become_zero():
    f = RDKit2DFeaturizer(["MaxPartialCharge", "MolWt"])
    assert np.isnan(Descriptors.MaxPartialCharge(Chem.MolFromSmiles("[*]CC[*]")))  # RDKit itself gives NaN
    v = f("[*]CC[*]")
    assert v[0] == 0.0 and v[1] == pytest.approx(28.054, abs=1e-3)


def test_featurize_lists_all_failing_labels(capfd):
    s = pd.Series(["CCO", "C1CC", "CC", "CC(", "c1ccccc1"], index=[10, 11, 12, 13, 14])
    with pytest.raises(ValueError) as e:
        featurize(s, MorganFeaturizer(n_bits=32), progress=False)
    assert str(e.value) == "2 of 5 SMILES give no usable molecule: row 11: RDKit cannot parse the SMILES: 'C1CC'; row 13: RDKit cannot parse the SMILES: 'CC('"
    assert "SMILES Parse Error" not in capfd.readouterr().err
    with pytest.raises(ValueError, match=r"30 of 31 .*row 20: RDKit cannot parse the SMILES: 'X'; \.\.\. and 10 more"):
        featurize(["C"] + ["X"] * 30, MorganFeaturizer(n_bits=32), progress=False, chunk_size=7)


def test_featurize_shape_and_parallel_match():
    smiles = pd.Series(["CCO", "c1ccccc1", "[*]CC[*]", "CC(=O)O"] * 50)
    f = ConcatFeaturizer(MorganFeaturizer(n_bits=64), RDKit2DFeaturizer(["MolWt", "TPSA"]))
    x1 = featurize(smiles, f, progress=False)
    assert x1.shape == (200, 66) and x1.dtype == np.float32
    np.testing.assert_array_equal(x1, featurize(smiles, f, n_jobs=2, chunk_size=16, progress=False))
    with pytest.raises(ValueError, match="row 3: RDKit cannot parse the SMILES: 'C1CC'"):
        featurize(["CCO"] * 3 + ["C1CC"], f, n_jobs=2, chunk_size=2, progress=False)


@pytest.mark.parametrize("f", [MorganFeaturizer(radius=3, n_bits=512, counts=True), RDKit2DFeaturizer(["TPSA", "MolLogP"]),
                               ConcatFeaturizer(MorganFeaturizer(n_bits=16), RDKit2DFeaturizer())])
def test_to_dict_round_trip_and_pickle(f):
    d = json.loads(json.dumps(f.to_dict()))
    assert d["type"] == type(f).__name__
    g = featurizer_from_dict(d)
    assert g == f and g.names == f.names
    smi = "CC(=O)Nc1ccc(O)cc1"
    np.testing.assert_array_equal(g(smi), f(smi))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(f))(smi), f(smi))


def test_concat_names_unique():
    f = ConcatFeaturizer(MorganFeaturizer(n_bits=8), MorganFeaturizer(n_bits=8))
    assert len(set(f.names)) == 16 and f.names[8] == "1_morgan_0"


def test_from_dict_rejects_unknown_types():
    with pytest.raises(ValueError, match="Unknown featurizer type 'builtins.eval'"):
        featurizer_from_dict({"type": "builtins.eval"})
