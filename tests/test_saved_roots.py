"""Model roots written by an earlier sol_trainer (tests/data/roots, made by tests/data/make_roots.py at 053d2a3) still load
and predict the same numbers. The calibrated σ and intervals are those of the ensemble factor (issue 24): a root written
before it has no factor and gets 1, the calibrated σ of one submodel, where the per-row subtraction used to narrow it."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sol_trainer as st

DATA = Path(__file__).parent / "data" / "roots"
EXPECTED = pd.read_csv(DATA / "expected.csv")


@pytest.mark.parametrize("name", ["vector", "graph"])
@pytest.mark.parametrize("calibrate", [False, True])
def test_an_old_root_predicts_as_it_did(name, calibrate):
    expected = EXPECTED[(EXPECTED.root == name) & (EXPECTED.calibrated == calibrate)].reset_index(drop=True)
    got = st.infer.predict(st.load.ModelRoot(DATA / name, "cpu"), expected[["smiles_string", "prop"]], calibrate=calibrate)
    for column in ("mean", "std", "lower", "upper", "similarity"):  # float32 sums agree to their last bits only on one thread count
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-4, atol=1e-6, err_msg=column)
    assert got["in_domain"].tolist() == expected["in_domain"].tolist()
