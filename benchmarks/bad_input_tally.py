"""Tally how the workflow's entry points treat bad input.

Each case feeds one kind of bad (or unusual) input to `prepare_train`, `check_prepared`, `train_kfold_ensemble`,
`eval_ensemble`, `load_ensemble`, or the `sol_trainer train` and `predict` commands, on a few rows of the bundled pIC50
data with tiny models (16- or 32-bit Morgan fingerprints, `HpConfig(capacity=1)`, one epoch, two folds), and sorts the
outcome into:

- clear: an `InputError` (the package's class for bad input) raised by a `raise` statement in sol_trainer's own code,
  before anything was written to the watched folder; for a command, exit status 2 with one line on stderr;
- deep: any other exception (raised inside a library, of another type, or after files were written); for a command,
  exit status 3 (a bug) or a traceback;
- silent: accepted, although the input is wrong;
- ok: accepted, and the behaviour is documented (a case that expects a warning also needs one logged; a prediction
  case that expects row errors needs exit status 1, the reason in the `error` column and no number for those rows).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bad_input_tally.py [--verbose] [--only SUBSTRING]
"""
import argparse, logging, re, tempfile, traceback, warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble

PACKAGE = Path(st.__file__).resolve().parent
OURS = (st.utils.InputError,) if hasattr(st.utils, "InputError") else (ValueError, KeyError, TypeError, FileExistsError, FileNotFoundError,
                                                                      NotADirectoryError)  # a version before the package had its own class
FZ = MorganFeaturizer(n_bits=16)


def tc(**changes) -> TrainConfig:
    return TrainConfig(**{"hps": HpConfig(capacity=1), "epochs": 1, "progress": False, **changes})


def rows(n: int = 12) -> pd.DataFrame:
    "The first `n` rows of the bundled pIC50 data."
    return st.datasets.load_pic50().head(n).reset_index(drop=True)


def prepare(data, root, featurizer=FZ, **kwargs):
    return prepare_train(data, featurizer, root_dir=root, progress=False, **kwargs)


def train(df, scalers, root, **kwargs):
    return train_kfold_ensemble(df, Mlp, {}, kwargs.pop("train_config", tc()), scaler_dict=scalers, root_dir=root,
                                n_fold=kwargs.pop("n_fold", 2), **kwargs)


@dataclass
class Case:
    target: str  # the function under test
    name: str
    expect: str  # "error", "accept" or "warn"
    setup: Callable  # setup(tmp folder) -> (the call under test, the folder that must stay unchanged when it raises)


CASES: list[Case] = []


def case(target: str, expect: str = "error"):
    def register(fn):
        CASES.append(Case(target, fn.__name__, expect, fn)); return fn
    return register


# prepare_train ------------------------------------------------------------------------------------------------------

def prepare_case(name: str, change: Callable, expect: str = "error", featurizer=FZ, **kwargs):
    "A prepare_train case on the rows changed by `change`."
    def setup(tmp):
        data, root = change(rows()), tmp / "root"
        return (lambda: prepare(data, root, featurizer, **kwargs)), root
    CASES.append(Case("prepare_train", name, expect, setup))


def with_values(values):
    return lambda d: d.head(len(values)).assign(value=list(values))


def with_column(col, values):
    return lambda d: d.head(len(values)).assign(**{col: list(values)})


def with_feats(feats):
    "Rows with a graph_feats column and no SMILES."
    return lambda d: d.head(len(feats)).drop(columns="smiles_string").assign(graph_feats=list(feats))


prepare_case("not a DataFrame", lambda d: d.to_dict("records"))
prepare_case("empty frame", lambda d: d.iloc[:0])
prepare_case("missing value column", lambda d: d.drop(columns="value"))
prepare_case("missing input columns", lambda d: d.drop(columns="smiles_string"))
prepare_case("duplicate index labels", lambda d: d.set_axis([0] * len(d)))
prepare_case("NaN values", with_values([5.0, np.nan, 6.0, np.nan]))
prepare_case("None SMILES", with_column("smiles_string", ["CCO", None, "CCN"]))
prepare_case("unparsable SMILES", with_column("smiles_string", ["CCO", "C1CC", "not a molecule", "CCN"]))
prepare_case("empty SMILES", with_column("smiles_string", ["CCO", "", "CCN"]))
prepare_case("numeric SMILES", with_column("smiles_string", ["CCO", 12, "CCN"]))
prepare_case("numbers as text in value", lambda d: d.assign(value=d.value.astype(str)))
prepare_case("numbers as text mixed with class names", with_values(["active", "6.5", "inactive", "7"]))
prepare_case("numbers mixed with text", with_values([5.0, "active", 6.0]))
prepare_case("class names", with_values(["active", "inactive", "active"]), "accept")
prepare_case("numbers in an object column", lambda d: d.assign(value=d.value.astype(object)), "accept")
prepare_case("huge values overflow the std", with_values([1e300, -1e300, 5e299, -2e299]))
prepare_case("infinite value", with_values([5.0, np.inf, 6.0]))
prepare_case("complex values", with_values([5 + 1j, 6.0 + 0j, 7 - 2j]))
prepare_case("complex values without imaginary parts", with_values(np.array([5, 6, 7], dtype=complex)))
prepare_case("complex in an object column", with_values([5.0, 6 + 1j, 7.0]))
prepare_case("boolean values", with_values([True, False, True]))
prepare_case("conflicting duplicate SMILES (keep)", lambda d: d.assign(smiles_string=d.smiles_string[0]), "warn")
prepare_case("identical duplicate rows", lambda d: pd.concat([d, d], ignore_index=True), "accept")
prepare_case("conflicting duplicates, duplicates='error'", lambda d: d.assign(smiles_string=d.smiles_string[0]),
             duplicates="error")
prepare_case("conflicting duplicates, duplicates='mean'", lambda d: d.assign(smiles_string=d.smiles_string[:2].tolist() * 6),
             "accept", duplicates="mean")
prepare_case("unknown duplicates option", lambda d: d, duplicates="sum")
prepare_case("integer prop", lambda d: d.assign(prop=1))
prepare_case("mixed int/str prop", lambda d: d.assign(prop=["a", 1] * 6))
prepare_case("prop with line separators", lambda d: d.assign(prop=["a\nb", "c\rd", "e\u2028f"] * 4), "accept")
prepare_case("class labels with line separators", with_values(["act\nive", "in\u2028active", "act\nive"]), "accept")
prepare_case("feature dict with a non-string key", with_feats([{"a": 1.0, 2: 3.0}, {"a": 2.0, 2: 1.0}]), featurizer=None)
prepare_case("feature value 'abc'", with_feats([{"a": 1.0}, {"a": "abc"}, {"a": 2.0}]), featurizer=None)
prepare_case("feature value None", with_feats([{"a": 1.0}, {"a": None}, {"a": 2.0}]), featurizer=None)
prepare_case("feature value a list", with_feats([{"a": 1.0}, {"a": [1, 2]}, {"a": 2.0}]), featurizer=None)
prepare_case("feature value complex", with_feats([{"a": 1.0}, {"a": 1j}, {"a": 2.0}]), featurizer=None)
prepare_case("feature value inf", with_feats([{"a": 1.0}, {"a": np.inf}, {"a": 2.0}]), featurizer=None)
prepare_case("feature value huge", with_feats([{"a": 1e300}, {"a": -1e300}, {"a": 2.0}]), "accept", featurizer=None)
prepare_case("feature values boolean", with_feats([{"a": True}, {"a": False}, {"a": True}]), "accept", featurizer=None)
prepare_case("feature dicts missing keys", with_feats([{"a": 1, "b": 2}, {"a": 1}, {"b": 3, "a": 0}]), featurizer=None)
prepare_case("feature column not dicts", with_feats([{"a": 1}, 3, {"a": 2}]), featurizer=None)
prepare_case("all feature dicts empty", with_feats([{}, {}, {}]), featurizer=None)
prepare_case("no featurizer and no dicts", lambda d: d, featurizer=None)
prepare_case("featurizer given as 'cpu'", lambda d: d, featurizer="cpu")
prepare_case("n_jobs=0", lambda d: d, n_jobs=0)
prepare_case("empty property name", lambda d: d.assign(prop=[""] + ["pIC50"] * (len(d) - 1)))
prepare_case("SMILES with words after it", with_column("smiles_string", ["CCO", "CCO extra words", "CCN"]))
prepare_case("SMILES with a space inside", with_column("smiles_string", ["CCO", "C C", "CCN"]))
prepare_case("a 2,001-atom SMILES", with_column("smiles_string", ["CCO", "C" * 2001, "CCN"]))
prepare_case("one class only", lambda d: d.assign(value="active"))
prepare_case("the same value in every row", lambda d: d.assign(value=5.0))


@case("prepare_train")
def root_dir_is_a_file(tmp):
    root = tmp / "root"; root.write_text("not a folder")
    return (lambda: prepare(rows(), root)), tmp


@case("prepare_train")
def root_dir_parent_is_a_file(tmp):
    (tmp / "parent").write_text("not a folder")
    return (lambda: prepare(rows(), tmp / "parent" / "root")), tmp


@case("prepare_train")
def root_with_another_model(tmp):
    root = tmp / "root"
    df, scalers = prepare(rows(), root)
    train(df, scalers, root)
    return (lambda: prepare(rows(), root)), root


# check_prepared and train_kfold_ensemble: the same bad requests, directly and through training --------------------

def training_case(name: str, make: Callable, expect: str = "error"):
    "`make(tmp) -> (df, scalers, root)`, registered for check_prepared and for train_kfold_ensemble."
    def direct(tmp):
        df, scalers, root = make(tmp)
        return (lambda: st.prepare.check_prepared(df, scalers, st.root.load_input_spec(root), root)), root

    def trained(tmp):
        df, scalers, root = make(tmp)
        return (lambda: train(df, scalers, root)), root
    CASES.append(Case("check_prepared", name, expect, direct))
    CASES.append(Case("train_kfold_ensemble", name, expect, trained))


def _prepared(tmp, n_bits=16, data=None):
    root = tmp / f"root{n_bits}"
    df, scalers = prepare(rows() if data is None else data, root, MorganFeaturizer(n_bits=n_bits))
    return df, scalers, root


def _frame_of_other_width(tmp):
    df, _, _ = _prepared(tmp, 32)
    _, scalers, root = _prepared(tmp, 16)
    return df, scalers, root


def _scalers_of_other_data(tmp):
    df, _, root = _prepared(tmp)
    _, scalers, _ = _prepared(tmp / "other", data=rows().assign(value=lambda d: d.value * 1000))
    return df, scalers, root


def _scalers_of_other_property(tmp):
    df, _, root = _prepared(tmp)
    _, scalers, _ = _prepared(tmp / "other", data=rows().assign(prop="logD"))
    return df, scalers, root


def _frame_of_other_labels(tmp):
    df, scalers, root = _prepared(tmp)
    other, _, _ = _prepared(tmp / "other", data=rows().assign(value=lambda d: d.value + 1))
    return other, scalers, root


def _replaced(**parts):
    "A case on a fresh 16-bit prepared frame with some of (df, scalers, root) replaced by functions of the originals."
    def make(tmp):
        df, scalers, root = _prepared(tmp)
        got = {"df": df, "scalers": scalers, "root": root}
        got.update({k: f(df, scalers, root) for k, f in parts.items()})
        return got["df"], got["scalers"], got["root"]
    return make


training_case("frame of a 32-bit featurizer, root of a 16-bit one", _frame_of_other_width)
training_case("scaler_dict of another prepare_train", _scalers_of_other_data)
training_case("scaler_dict of another property", _scalers_of_other_property)
training_case("frame of other labels", _frame_of_other_labels)
training_case("scaler_dict={}", _replaced(scalers=lambda df, sc, root: {}))
training_case("scaler_dict not a dict", _replaced(scalers=lambda df, sc, root: ["scaler"]))
training_case("scaler_dict of strings", _replaced(scalers=lambda df, sc, root: {"pIC50": "standard"}))
training_case("raw frame instead of a prepared one", _replaced(df=lambda df, sc, root: rows()))
training_case("pd.concat of prepared frames", _replaced(df=lambda df, sc, root: pd.concat([df, df])))
training_case("frame of prepare_infer", _replaced(df=lambda df, sc, root: st.prepare.prepare_infer(rows(), FZ, root, progress=False)))
training_case("frame without its y column", _replaced(df=lambda df, sc, root: df.drop(columns="y")))
training_case("rows of the prepared frame", _replaced(df=lambda df, sc, root: df.iloc[::-2]), "accept")
training_case("the prepared frame, shuffled and reset",
              _replaced(df=lambda df, sc, root: df.sample(frac=1, random_state=0).reset_index(drop=True)), "accept")
training_case("the prepared frame as returned", _replaced(), "accept")


def train_only(name: str, make: Callable, expect: str = "error"):
    "A train_kfold_ensemble case: `make(tmp) -> (the call, the watched root)`."
    CASES.append(Case("train_kfold_ensemble", name, expect, make))


def _with(**kwargs):
    "A case training a fresh prepared frame with `kwargs` (functions among them are called when the case runs)."
    def make(tmp):
        df, scalers, root = _prepared(tmp)
        return (lambda: train(df, scalers, root, **{k: (v() if callable(v) else v) for k, v in kwargs.items()})), root
    return make


def _more_folds_than_rows(tmp):
    df, scalers, root = _prepared(tmp, data=rows(3))
    return (lambda: train(df, scalers, root, n_fold=5)), root


train_only("more folds than rows", _more_folds_than_rows)
train_only("epochs=0", _with(train_config=lambda: tc(epochs=0)))
train_only("epochs=2.5", _with(train_config=lambda: tc(epochs=2.5)))
train_only("patience=0", _with(train_config=lambda: tc(patience=0)))
train_only("lr_decay=2", _with(train_config=lambda: tc(lr_decay=2.0)))
train_only("hps not an HpConfig", _with(train_config=lambda: tc(hps={"capacity": 1})))
train_only("device 'tpu'", _with(train_config=lambda: tc(device="tpu")))
train_only("callbacks not a list", _with(train_config=lambda: tc(callbacks=object())))
train_only("random_seed=-1", _with(random_seed=-1))
train_only("n_fold=1", _with(n_fold=1))


@case("train_kfold_ensemble")
def root_not_prepared(tmp):
    df, scalers, _ = _prepared(tmp)
    (tmp / "empty").mkdir()
    return (lambda: train(df, scalers, tmp / "empty")), tmp / "empty"


@case("train_kfold_ensemble")
def root_already_trained(tmp):
    df, scalers, root = _prepared(tmp)
    train(df, scalers, root)
    return (lambda: train(df, scalers, root)), root


# eval_ensemble ------------------------------------------------------------------------------------------------------

_TRAINED = {}


def trained_root() -> tuple:
    "(ensemble, root) of a tiny trained model, trained once."
    if not _TRAINED:
        root = Path(tempfile.mkdtemp()) / "trained"
        df, scalers = prepare(rows(), root)
        train(df, scalers, root)
        _TRAINED.update(ensemble=st.load.load_ensemble(root, Mlp, "cpu"), root=root)
    return _TRAINED["ensemble"], _TRAINED["root"]


def eval_case(name: str, change: Callable = lambda d: d, expect: str = "error", made: dict | None = None, **kwargs):
    """An eval_ensemble case on the rows changed by `change`; `kwargs` replace other arguments, and `made` maps
    arguments to functions of the case's folder that make them."""
    def setup(tmp):
        ensemble, root = trained_root()
        args = {"ensemble": ensemble, "root_dir": root, "dataframe": change(rows()), "featurizer": FZ, **kwargs}
        args.update({k: make(tmp) for k, make in (made or {}).items()})
        return (lambda: st.infer.eval_ensemble(**args)), root
    CASES.append(Case("eval_ensemble", name, expect, setup))


def _other_trained_root(tmp):
    "A trained root whose property is logD, not pIC50."
    df, scalers, root = _prepared(tmp, data=rows().assign(prop="logD"))
    train(df, scalers, root)
    return root


def _wider_trained_root(tmp):
    "A trained root of the same property and data, with 32-bit fingerprints."
    df, scalers, root = _prepared(tmp, 32)
    train(df, scalers, root)
    return root


def _file(tmp):
    (tmp / "f").write_text("not a model root")
    return tmp / "f"


eval_case("the training rows", expect="accept")
eval_case("without value", lambda d: d.drop(columns="value"), "accept")
eval_case("unknown property", lambda d: d.assign(prop=["pIC50", "logD"] * 6))
eval_case("value 'n/a' in regression", with_values([5.0, "n/a", 6.0]))
eval_case("numbers as text in value", lambda d: d.assign(value=d.value.astype(str)))
eval_case("missing smiles_string", lambda d: d.drop(columns="smiles_string"))
eval_case("missing prop", lambda d: d.drop(columns="prop"))
eval_case("unparsable SMILES", with_column("smiles_string", ["CCO", "C1CC"]))
eval_case("integer prop", lambda d: d.assign(prop=1))
eval_case("empty frame", lambda d: d.iloc[:0])
eval_case("not a DataFrame", lambda d: d.to_dict("records"))
eval_case("ensemble is a path", made={"ensemble": lambda tmp: trained_root()[1]})
eval_case("ensemble is a plain module", ensemble=Mlp(16))
eval_case("root is an empty folder", made={"root_dir": lambda tmp: tmp})
eval_case("root does not exist", made={"root_dir": lambda tmp: tmp / "nowhere"})
eval_case("root is a file", made={"root_dir": _file})
eval_case("root only prepared, not trained", made={"root_dir": lambda tmp: _prepared(tmp)[2]})
eval_case("root of another model", made={"root_dir": _other_trained_root})
eval_case("root of the same property with another featurizer", made={"root_dir": _wider_trained_root}, featurizer=None)
eval_case("featurizer differs", featurizer=MorganFeaturizer(n_bits=32))
eval_case("device 'tpu'", device="tpu")
eval_case("batch_size=0", batch_size=0)
eval_case("ensemble_kwargs_dict not a dict", ensemble_kwargs_dict=["n_passes", 2])
eval_case("unknown ensemble argument", ensemble_kwargs_dict={"passes": 2})


# loading a damaged root --------------------------------------------------------------------------------------------

def damaged(rel: str, content: Callable) -> Callable:
    "A case: a copy of the trained root with `rel` replaced by `content(old bytes)` and re-hashed in the manifest."
    def setup(tmp):
        import hashlib, json, shutil
        root = tmp / "copy"
        shutil.copytree(trained_root()[1], root, ignore=shutil.ignore_patterns(".sol_trainer.lock*"))
        new = content((root / rel).read_bytes()); (root / rel).write_bytes(new)
        manifest = json.loads((root / "manifest.json").read_text()); manifest["files"][rel] = hashlib.sha256(new).hexdigest()
        (root / "manifest.json").write_text(json.dumps(manifest))
        return (lambda: st.load.load_ensemble(root)), root
    return setup


def _nan_weights(old: bytes) -> bytes:
    from safetensors.torch import load, save
    weights = load(old); next(iter(weights.values()))[...] = float("nan")
    return save(weights)


for name, rel, content in [("NaN weights", "models/model_0.safetensors", _nan_weights),
                           ("NaN label scaler", "metadata/scalers.json", lambda b: re.sub(rb'"std": [-0-9.e+]+', b'"std": NaN', b, count=1)),
                           ("model.json without its class", "metadata/model.json", lambda b: b'{"kwargs": {}}'),
                           ("model.json with unknown arguments", "metadata/model.json", lambda b: b'{"class": "Mlp", "kwargs": {"depth": 3}}'),
                           ("features.json of another shape", "metadata/features.json", lambda b: b'{"task": 3}'),
                           ("hyperparams.json of another shape", "metadata/hyperparams.json", lambda b: b'[1, 2]')]:
    CASES.append(Case("load_ensemble", name, "error", damaged(rel, content)))


@case("load_ensemble")
def manifest_nested_100k_deep(tmp):
    import shutil
    root = tmp / "copy"
    shutil.copytree(trained_root()[1], root, ignore=shutil.ignore_patterns(".sol_trainer.lock*"))
    (root / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    return (lambda: st.load.load_ensemble(root)), root


# the commands -------------------------------------------------------------------------------------------------------

def command(argv: list, cwd: Path | None = None) -> tuple[int, str]:
    "Exit status and stderr of `sol_trainer ARGV`, run in this process."
    import contextlib, io, os
    from sol_trainer.cli import main as cli_main
    err, old = io.StringIO(), os.getcwd()
    try:
        if cwd: os.chdir(cwd)
        with contextlib.redirect_stderr(err): cli_main([str(a) for a in argv])
        return 0, err.getvalue()
    except SystemExit as e: return e.code, err.getvalue()
    except Exception: return 3, err.getvalue() + traceback.format_exc()  # escaped the command line's own handling
    finally: os.chdir(old)


_TABLES = {}


def table_root() -> tuple[Path, Path]:
    "(wide CSV of 60 pIC50 rows, a root trained on it with calibration), made once."
    if not _TABLES:
        folder = Path(tempfile.mkdtemp())
        rows(60).rename(columns={"smiles_string": "smiles", "value": "pIC50"})[["smiles", "pIC50"]].to_csv(folder / "train.csv", index=False)
        st.tables.train_table(folder / "train.csv", folder / "model", progress=False, search_calls=0, n_fold=2, epochs=1)
        _TABLES.update(csv=folder / "train.csv", root=folder / "model")
    return _TABLES["csv"], _TABLES["root"]


@dataclass
class CommandCase:
    target: str
    name: str
    expect: str  # "error" (exit 2, one line, nothing written) or "rows" (exit 1, the bad rows have an error and no numbers)
    setup: Callable  # setup(tmp) -> (argv, cwd, the folder that must stay unchanged, the output table or None)


COMMAND_CASES: list[CommandCase] = []


def train_command(name: str, make_table: Callable, *options, root: Callable = lambda tmp: tmp / "m"):
    "A `sol_trainer train` case on the table `make_table(tmp)` returns."
    def setup(tmp):
        watched = root(tmp)
        return ["train", make_table(tmp), watched, *options], None, watched if watched.exists() else tmp, None
    COMMAND_CASES.append(CommandCase("sol_trainer train", name, "error", setup))


def csv_of(text: str, encoding: str = "utf-8") -> Callable:
    def make(tmp):
        (tmp / "data.csv").write_bytes(text.encode(encoding)); return tmp / "data.csv"
    return make


def good_table(tmp): return table_root()[0]


def changed_table(**cells) -> Callable:
    "The good table with some cells replaced: column -> {row: value}."
    def make(tmp):
        df = pd.read_csv(table_root()[0])
        for column, values in cells.items():
            df[column] = df[column].astype(object) if column in df else None
            for r, v in values.items(): df.loc[r, column] = v
        df.to_csv(tmp / "data.csv", index=False); return tmp / "data.csv"
    return make


for name, options in [("--folds 0", ["--folds", "0"]), ("--folds 1", ["--folds", "1"]), ("--folds 1000", ["--folds", "1000"]),
                      ("--epochs 0", ["--epochs", "0"]), ("--seed -1", ["--seed", "-1"]), ("--recipe bogus", ["--recipe", "bogus"]),
                      ("--jobs 0", ["--jobs", "0"]), ("--executor local:0", ["--executor", "local:0"]),
                      ("--executor tcp://127.0.0.1:9 (nothing there)", ["--executor", "tcp://127.0.0.1:9"]),
                      ("--time-budget -5", ["--time-budget", "-5"]), ("--device tpu", ["--device", "tpu"])]:
    train_command(name, good_table, *options)
train_command("an empty target column", changed_table(X={0: None}), "--target-columns", "pIC50", "X")
train_command("an unparsable SMILES ([NH++])", changed_table(smiles={3: "C[NH++](C)C"}))
train_command("a SMILES with words after it", changed_table(smiles={3: "CCO extra words"}))
train_command("an empty SMILES cell", changed_table(smiles={3: None}))
train_command("an infinite value", changed_table(pIC50={3: float("inf")}))
train_command("text among the values", changed_table(pIC50={3: ">10"}))
train_command("one class only", changed_table(pIC50={r: "active" for r in range(60)}))
train_command("the same value in every row", changed_table(pIC50={r: 5.0 for r in range(60)}))
train_command("a one-row table", csv_of("smiles,logS\nCCO,0.5\n"))
train_command("repeated column names", csv_of("smiles,TPSA,TPSA\nCCO,20.2,20.3\nCCN,26.0,26.1\n"))
train_command("a latin-1 file", csv_of("smiles,name,logS\nCCO,\xe9thanol,0.5\nCCN,amine,0.3\n", "latin-1"))


def _root_with_users_file(tmp):
    (tmp / "P" / "models").mkdir(parents=True); (tmp / "P" / "models" / "mine.pt").write_text("x")
    return tmp / "P"


train_command("a root holding the user's files", good_table, root=_root_with_users_file)


def _into_the_data_folder(tmp):
    (tmp / "data.csv").write_bytes(table_root()[0].read_bytes())
    return ["train", "data.csv", "."], tmp, tmp, None


COMMAND_CASES.append(CommandCase("sol_trainer train", "into '.', the folder of the data", "error", _into_the_data_folder))


def predict_command(name: str, smiles: list | None = None, expect: str = "rows", *options, table: Callable | None = None,
                    out: Callable = lambda tmp: tmp / "out.csv"):
    "A `sol_trainer predict` case on a table of `smiles` (or `table(tmp)`), written to `out(tmp)`."
    def setup(tmp):
        if table is None: pd.DataFrame({"smiles": smiles}).to_csv(tmp / "in.csv", index=False)
        data = tmp / "in.csv" if table is None else table(tmp)
        return ["predict", table_root()[1], data, out(tmp), *options], None, tmp, out(tmp)
    COMMAND_CASES.append(CommandCase("sol_trainer predict", name, expect, setup))


predict_command("a SMILES with words after it", ["CCO", "CCO extra words", "CCN"])
predict_command("a SMILES with a space inside", ["CCO", "C C", "CCN"])
predict_command("a 2,001-atom SMILES", ["CCO", "C" * 2001, "CCN"])
predict_command("an unparsable SMILES", ["CCO", "C1CC", "CCN"])
predict_command("output = input", ["CCO"], "error", out=lambda tmp: tmp / "in.csv")
predict_command("output = input, --overwrite", ["CCO"], "error", "--overwrite", out=lambda tmp: tmp / "in.csv")


def _existing_output(tmp):
    (tmp / "out.csv").write_text("precious,results\n1,2\n"); return tmp / "out.csv"


predict_command("an existing output", ["CCO"], "error", out=_existing_output)
predict_command("--chunk-rows 0", ["CCO"], "error", "--chunk-rows", "0")
predict_command("--jobs 0", ["CCO"], "error", "--jobs", "0")
predict_command("input column named like an output", None, "error", table=csv_of("smiles,pIC50_mean\nCCO,1\n"))
predict_command("input column 'error'", None, "error", table=csv_of("smiles,error\nCCO,none\n"))
predict_command("two SMILES columns", None, "error", table=csv_of("smiles,smiles\nCCO,CCN\n"))
predict_command("a latin-1 file", None, "error", table=csv_of("smiles,name\nCCO,\xe9thanol\n", "latin-1"))


def run_command_case(c: CommandCase) -> tuple[str, str]:
    "(verdict, detail) of one command case."
    tmp = Path(tempfile.mkdtemp())
    argv, cwd, watched, out = c.setup(tmp)
    before = {p: b for p, b in snapshot(watched).items() if ".sol_trainer.lock" not in p.name}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code, err = command(argv, cwd)
    after = {p: b for p, b in snapshot(watched).items() if ".sol_trainer.lock" not in p.name}
    last = err.strip().splitlines()[-1] if err.strip() else ""
    if code == 3 or "Traceback" in err: return "deep", f"exit {code}: {last}"
    if c.expect == "error":
        if code == 2 and after == before: return "clear", last
        if code == 2: return "deep", f"exit 2 after writing files: {last}"
        return "silent", f"exit {code}: {last or 'accepted'}"
    table = pd.read_csv(out) if out is not None and out.exists() else None
    bad = table[table["error"].notna()] if table is not None and "error" in table else None  # empty cells read back as NaN
    if code == 1 and bad is not None and len(bad) and bad.filter(like="_mean").isna().all().all():
        return "ok", f"exit 1, error column: {bad['error'].iloc[0]}"
    return ("silent" if code == 0 else "deep"), f"exit {code}: {last or 'accepted'}"


# running ------------------------------------------------------------------------------------------------------------

def snapshot(folder: Path) -> dict:
    "Every file under `folder` with its bytes."
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}


class Records(logging.Handler):
    def __init__(self): super().__init__(logging.WARNING); self.records = []
    def emit(self, record): self.records.append(record)


def run(c: Case) -> tuple[str, str]:
    "(verdict, detail) of one case."
    tmp = Path(tempfile.mkdtemp())
    call, watched = c.setup(tmp)
    before, logged = snapshot(watched), Records()
    logging.getLogger("sol_trainer").addHandler(logged)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except Exception as e:
        last = traceback.extract_tb(e.__traceback__)[-1]
        ours = Path(last.filename).resolve().is_relative_to(PACKAGE) and "raise " in (last.line or "")
        wrote = snapshot(watched) != before
        message = str(e).replace("\n", " | ")
        if isinstance(e, OURS) and ours and not wrote: return "clear", f"{type(e).__name__}: {message}"
        where = f"{Path(last.filename).name}:{last.lineno}" + (", after writing files" if wrote else "")
        return "deep", f"{type(e).__name__} at {where}: {message}"
    finally:
        logging.getLogger("sol_trainer").removeHandler(logged)
    warned = "; ".join(r.getMessage() for r in logged.records)
    if c.expect == "error" or (c.expect == "warn" and not warned): return "silent", warned or "accepted"
    return "ok", warned or "accepted"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verbose", action="store_true", help="print each case's full message")
    ap.add_argument("--only", default="", help="run only cases whose target or name contains this")
    ap.add_argument("--skip", default=None, help="leave out cases whose target or name contains this")
    args = ap.parse_args()
    logging.getLogger("sol_trainer").setLevel(logging.WARNING)
    logging.getLogger("sol_trainer").propagate = False
    tally: dict[str, Counter] = {}
    for c in [*CASES, *COMMAND_CASES]:
        if args.only not in f"{c.target} {c.name}" or (args.skip and args.skip in f"{c.target} {c.name}"): continue
        verdict, detail = run(c) if isinstance(c, Case) else run_command_case(c)
        tally.setdefault(c.target, Counter())[verdict] += 1
        print(f"{verdict:6} {c.target:20} {c.name:52} {detail if args.verbose else detail[:100]}")
    print()
    print(f"{'function':20} " + " ".join(f"{v:>6}" for v in ("clear", "deep", "silent", "ok", "total")))
    for target, counts in tally.items():
        print(f"{target:20} " + " ".join(f"{counts[v]:6d}" for v in ("clear", "deep", "silent", "ok")) + f" {sum(counts.values()):6d}")


if __name__ == "__main__":
    main()
