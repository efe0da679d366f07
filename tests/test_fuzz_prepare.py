"""Fuzz `prepare_train` with generated frames: it either prepares them or refuses them with one of its own errors
(an `InputError` raised by a `raise` in sol_trainer, naming what is wrong), and a refusal leaves nothing in the model root."""
import itertools, math, traceback
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

import sol_trainer
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.prepare import DUPLICATES, check_prepared, prepare_train
from sol_trainer.root import FEATURES_FILE, load_input_spec

PACKAGE = Path(sol_trainer.__file__).resolve().parent
COLUMNS = ("prop", "value", "smiles_string", "graph_feats", "node_feats")
FZ = MorganFeaturizer(n_bits=16)

nice_floats = st.floats(-1e3, 1e3, allow_nan=False)
anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e300, -1e300, 1e308, 5e-324]),
    st.integers(), st.integers(-10**400, 10**400), nice_floats.map(str), st.sampled_from(["active", "inactive", "", "n/a", "1e3 "]),
    st.none(), st.complex_numbers(max_magnitude=1e3), st.booleans(), st.text(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2), st.just([1, 2]))
VALUE_STYLES = [st.lists(nice_floats, min_size=3, unique=True), st.lists(nice_floats, min_size=3, unique=True),  # varied: a property to learn
                st.integers(-5, 5).map(lambda i: [i]), st.lists(st.sampled_from(["active", "inactive"]), min_size=2, unique=True),
                st.lists(nice_floats.map(str), min_size=1), st.lists(anything, min_size=1)]
PROPS = st.one_of(st.sampled_from(["a", "b", "line\nbreak", "sep\u2028"]), st.integers(0, 2), st.none(), st.text(max_size=3))
SMILES = st.one_of(st.sampled_from(["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCCC"]), st.sampled_from(["C1CC", "not a molecule", "", " "]),
                   st.none(), st.integers(0, 9), st.floats())
FEATURE_KEYS = st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 2), st.sampled_from(["", "\n", (1, 2)]))
FEATURE_VALUES = st.one_of(nice_floats, st.integers(-3, 3), st.booleans(), anything)


@st.composite
def column(draw, name: str, n: int) -> list:
    "`n` entries of column `name`, often of one sensible kind so that some frames prepare."
    if name == "value":
        base = draw(st.sampled_from(VALUE_STYLES).flatmap(lambda s: s))
        return [base[i % len(base)] for i in range(n)]
    if name == "prop":
        return draw(st.one_of(st.just(["a"] * n), st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n), st.lists(PROPS, min_size=n, max_size=n)))
    if name == "smiles_string":
        return draw(st.one_of(st.lists(st.sampled_from(["CCO", "CCN", "c1ccccc1", "CC(=O)O"]), min_size=n, max_size=n),
                              st.lists(SMILES, min_size=n, max_size=n)))
    keys = draw(st.one_of(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True),
                          st.lists(FEATURE_KEYS, max_size=3, unique_by=repr)))
    same_keys = st.fixed_dictionaries({k: st.one_of(nice_floats, st.integers(-3, 3)) for k in keys})
    odd = st.one_of(st.dictionaries(FEATURE_KEYS, FEATURE_VALUES, max_size=3), st.none(), st.integers(), st.just("abc"))
    return draw(st.one_of(st.lists(same_keys, min_size=n, max_size=n), st.lists(st.one_of(same_keys, odd), min_size=n, max_size=n)))


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.sampled_from([4, 5, 6, 3, 2, 1, 0]))  # sampled, not integers(): hypothesis would favour the empty frame
    names = draw(st.one_of(st.sampled_from([["prop", "value", "smiles_string"], ["prop", "value", "graph_feats"],
                                            ["prop", "value", "smiles_string", "node_feats"]]),
                           st.lists(st.sampled_from(COLUMNS), unique=True, min_size=1)))
    return pd.DataFrame({name: _series(draw(column(name, n))).to_numpy() for name in names}, index=draw(st.permutations(range(n))))


@st.composite
def sensible(draw) -> pd.DataFrame:
    "A frame `prepare_train` can accept: one property, good SMILES, varied values; half the examples, so both outcomes are exercised."
    n = draw(st.integers(2, 6))
    smiles = draw(st.lists(st.sampled_from(["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCCC"]), min_size=n, max_size=n))
    return pd.DataFrame({"prop": "a", "value": draw(st.lists(nice_floats, min_size=n, max_size=n, unique=True)), "smiles_string": smiles})


def _series(values: list) -> pd.Series:
    "The column pandas would make of `values`, kept as objects where a number is too large for it (older pandas raise)."
    try: return pd.Series(values)
    except OverflowError: return pd.Series(values, dtype=object)


def raised_by_us(e: BaseException) -> bool:
    "True when `e` is one of our error types and was raised by a `raise` statement in sol_trainer."
    last = traceback.extract_tb(e.__traceback__)[-1]
    return (isinstance(e, sol_trainer.utils.InputError) and Path(last.filename).resolve().is_relative_to(PACKAGE)
            and "raise " in (last.line or ""))


def check_prepared_frame(df, out, scalers, root):
    "Invariants of a frame that prepare_train accepted."
    assert len(out) <= len(df) and np.isfinite(out["y"].to_numpy(np.float64)).all()
    assert sorted(scalers) == sorted(set(out["prop"]))
    meta = load_input_spec(root)
    assert meta.fingerprint["inputs"] == out.inputs.fingerprint and meta == out.inputs.spec
    check_prepared(out, scalers, meta, root)
    assert all(math.isfinite(v) for t in out.inputs.tensors.values() for v in t.flatten().tolist())


def test_prepare_train_fuzz(tmp_path_factory):
    base, count = tmp_path_factory.mktemp("fuzz"), itertools.count()
    outcomes = {"prepared": 0, "refused": 0}

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,  # the same 300 frames on every run: a test, not a lottery
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(df=st.one_of(frames(), sensible()), featurize=st.booleans(), duplicates=st.sampled_from(DUPLICATES))
    def run(df, featurize, duplicates):
        root = base / f"root{next(count)}"
        try:
            out, scalers = prepare_train(df, FZ if featurize else None, root_dir=root, progress=False, duplicates=duplicates)
        except Exception as e:
            assert raised_by_us(e), f"{type(e).__name__} escaped from inside a library:\n{''.join(traceback.format_exception(e))}\n{df!r}"
            assert not root.exists(), f"{root} was written before the error {e!r}"
            outcomes["refused"] += 1
            return
        check_prepared_frame(df, out, scalers, root)
        assert (root / FEATURES_FILE).exists()
        outcomes["prepared"] += 1

    run()
    assert outcomes["prepared"] >= 20 and outcomes["refused"] >= 100, outcomes  # both paths are exercised
