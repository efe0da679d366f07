"Issue 22's attack probe, case by case: each bad input or interrupted run gets a clear error (or a clear row in the output) before any work, and no file of the user's is lost."
import json
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sol_trainer as st
from sol_trainer.cli import main
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.tables import predict_table, read_table, train_table
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.root import FEATURES_FILE, MANIFEST_FILE, OOF_FILE, SCALERS_FILE
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble
from sol_trainer.utils import InputError, folder_lock

FZ = MorganFeaturizer(n_bits=32)
TC = TrainConfig(hps=HpConfig(capacity=1), epochs=1, progress=False)
TINY = ["--folds", "2", "--epochs", "1", "--time-budget", "20"]


def run(*argv, cwd=None):
    "Exit status and stderr of `sol_trainer ARGV` run in this process."
    old = os.getcwd()
    try:
        if cwd: os.chdir(cwd)
        main([str(a) for a in argv])
        return 0
    except SystemExit as e:
        return e.code
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def table(tmp_path_factory, pic50_small):
    "A wide CSV of 120 pIC50 rows."
    path = tmp_path_factory.mktemp("table") / "train.csv"
    pic50_small.rename(columns={"smiles_string": "smiles", "value": "pIC50"})[["smiles", "pIC50"]].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def root(table):
    "A model root trained from `table` with the tiniest settings."
    out = table.parent / "model"
    train_table(table, out, progress=False, search_calls=0, n_fold=2, epochs=1)
    return out


def with_cells(table, tmp_path, **cells):
    "A copy of `table` with some cells replaced: column -> {row: value}."
    df = pd.read_csv(table)
    for column, values in cells.items():
        for row, value in values.items(): df.loc[row, column] = value
    path = tmp_path / "changed.csv"
    df.to_csv(path, index=False)
    return path


# Preparing ------------------------------------------------------------------------------------------------------------

def test_n_jobs_zero_is_named_before_any_work(tmp_path, pic50_small):
    with pytest.raises(InputError, match=r"n_jobs \(--jobs\) must be a non-zero integer"):
        prepare_train(pic50_small, FZ, root_dir=tmp_path / "r", n_jobs=0, progress=False)
    assert not (tmp_path / "r").exists()


def test_an_empty_property_name_is_refused(tmp_path, pic50_small):
    with pytest.raises(InputError, match="Column 'prop' holds empty property names in rows 0"):
        prepare_train(pic50_small.assign(prop=[""] + ["pIC50"] * (len(pic50_small) - 1)), FZ, progress=False)


@pytest.mark.parametrize("values, message", [
    (lambda n: ["active"] * n, "Property 'pIC50' has the one class 'active' in all its 120 rows"),
    (lambda n: [5.0] * n, "Property 'pIC50' has the same value 5.0 in all its 120 rows"),
])
def test_a_property_with_nothing_to_learn_is_refused(tmp_path, pic50_small, values, message):
    with pytest.raises(InputError, match=message):
        prepare_train(pic50_small.assign(value=values(len(pic50_small))), FZ, root_dir=tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def test_a_second_prepare_between_the_check_and_the_lock_is_caught(tmp_path, pic50_small, monkeypatch):
    "The race: another prepare_train writes features.json after training checked its frame and before it took the root's lock."
    root, other = tmp_path / "r", tmp_path / "other"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    prepare_train(pic50_small.assign(value=pic50_small.value * 2), FZ, root_dir=other, progress=False)
    import sol_trainer.train as training
    checked = training.check_prepared
    def check_then_race(*args, **kwargs):
        checked(*args, **kwargs)
        (root / FEATURES_FILE).write_bytes((other / FEATURES_FILE).read_bytes())  # the second writer's features.json
    monkeypatch.setattr(training, "check_prepared", check_then_race)
    with pytest.raises(InputError, match="features.json changed after this training read it"):
        train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    assert not (root / MANIFEST_FILE).exists()


def test_train_recipe_holds_the_root_from_preparing_on(tmp_path, pic50_small):
    "While another process holds the root (preparing or training), a second run stops at once, before featurizing."
    root = tmp_path / "r"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from sol_trainer.utils import folder_lock\n"
                               f"with folder_lock({str(root)!r}, 'model root'): print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(st.utils.FolderBusyError, match=f"The model root {root} is being written by process {holder.pid}"):
            st.recipes.train_recipe(pic50_small, root, progress=False, search_calls=0, n_fold=2, epochs=1)
        assert not (root / FEATURES_FILE).exists()
    finally:
        holder.kill(); holder.wait()


# Training from a table -------------------------------------------------------------------------------------------------

def test_bad_smiles_are_found_before_featurizing_and_can_be_dropped(tmp_path, table):
    path = with_cells(table, tmp_path, smiles={4: "C[NH++](C)C", 9: "CCO extra words", 20: None})
    with pytest.raises(InputError, match=r"changed.csv, column 'smiles': 3 of 120 SMILES give no usable molecule: line 6: RDKit cannot parse"
                                         r".*line 11: whitespace inside the SMILES.*line 22: no SMILES"):
        train_table(path, tmp_path / "m", progress=False)
    assert not (tmp_path / "m").exists()
    report = train_table(path, tmp_path / "m", drop_invalid=True, progress=False, search_calls=0, n_fold=2, epochs=1)
    assert [(d["where"], d["problem"]) for d in report["dropped"]] == [
        ("line 6", "RDKit cannot parse the SMILES"), ("line 11", "whitespace inside the SMILES (RDKit would read only the part before it)"),
        ("line 22", "no SMILES")]
    assert json.loads((tmp_path / "m_report.json").read_text())["dropped"] == report["dropped"]


def test_an_infinite_value_is_named_by_its_line(tmp_path, table):
    with pytest.raises(InputError, match="column 'pIC50' holds infinite values: line 3 inf"):
        train_table(with_cells(table, tmp_path, pIC50={1: np.inf}), tmp_path / "m", progress=False)


def test_an_empty_target_column_is_an_error_before_any_work(tmp_path, table):
    path = tmp_path / "with_empty.csv"
    pd.read_csv(table).assign(X=None).to_csv(path, index=False)
    assert run("train", path, tmp_path / "m", "--target-columns", "pIC50", "X") == 2
    assert not (tmp_path / "m").exists()


def test_repeated_column_names_are_refused(tmp_path):
    (tmp_path / "twice.csv").write_text("smiles,TPSA,TPSA\nCCO,20.2,20.3\n")
    with pytest.raises(InputError, match=r"twice.csv has the column name\(s\) \['TPSA'\] more than once"):
        train_table(tmp_path / "twice.csv", tmp_path / "m", progress=False)


@pytest.mark.parametrize("options, message", [
    (["--folds", "0"], "n_fold (--folds) must be an integer >= 2, got 0"),
    (["--folds", "1000"], "The data hold 120 distinct molecule(s), fewer than the 1000 folds"),
    (["--epochs", "0"], "epochs (--epochs) must be an integer >= 1, got 0"),
    (["--seed", "-1"], "seed (--seed) must be an integer in [0, 2**32 - 5), got -1"),
    (["--recipe", "bogus"], "Unknown recipe 'bogus': choose one of auto, vector, graph, descriptors, graph_descriptors"),
    (["--jobs", "0"], "n_jobs (--jobs) must be a non-zero integer"),
    (["--executor", "local:0"], "'local:N' needs a positive number of workers, got 'local:0'"),
    (["--time-budget", "-5"], "time_budget (--time-budget) must be a positive number of seconds"),
] + ([(["--device", "cuda"], "device 'cuda' asks for CUDA, which is not available here")] if not __import__("torch").cuda.is_available() else []))
def test_options_are_checked_before_any_work(tmp_path, table, capsys, options, message):
    assert run("train", table, tmp_path / "m", *options) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m" / FEATURES_FILE).exists()


def test_a_one_row_table_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "one.csv").write_text("smiles,logS\nCCO,0.5\n")
    assert run("train", tmp_path / "one.csv", tmp_path / "m") == 2
    assert "fewer than the 5 folds" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_named_before_preparing(tmp_path, table, capsys):
    pytest.importorskip("distributed")
    assert run("train", table, tmp_path / "m", "--executor", "tcp://127.0.0.1:9") == 2
    assert "No Dask scheduler answered at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    assert not (tmp_path / "m" / FEATURES_FILE).exists()


def test_a_folder_that_may_not_be_written_is_named_before_any_work(tmp_path, table):
    if os.geteuid() != 0: pytest.skip("needs root to run a check as another user")
    base = Path(tempfile.mkdtemp()); os.chmod(base, 0o755)  # pytest's own folders are closed to other users
    locked = base / "locked"; locked.mkdir(mode=0o755)
    code = ("import os, sys\nfrom sol_trainer.prepare import check_root_dir\n"
            "os.setgid(65534); os.setuid(65534)  # another user, who may not write into the folder\n"
            f"try: check_root_dir({str(locked / 'model')!r})\n"
            "except PermissionError as e: print(e); sys.exit(0)\n"
            "sys.exit(1)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and f"Cannot write into {locked}" in done.stdout, done.stderr


def test_training_never_deletes_the_users_files(tmp_path, table):
    root = tmp_path / "P"
    (root / "models").mkdir(parents=True); (root / "models" / "mine.pt").write_text("x")
    (root / "logs").mkdir(); (root / "logs" / "notes.txt").write_text("y")
    assert run("train", table, root, *TINY) == 2
    assert (root / "models" / "mine.pt").read_text() == "x" and (root / "logs" / "notes.txt").read_text() == "y"


def test_training_into_the_current_folder(tmp_path, table):
    "Into a folder holding the data: refused. Into an empty current folder: trained, and the report lands next to it."
    (tmp_path / "data").mkdir(); (tmp_path / "data" / "train.csv").write_bytes(table.read_bytes())
    assert run("train", "train.csv", ".", *TINY, cwd=tmp_path / "data") == 2
    (tmp_path / "empty").mkdir()
    assert run("train", tmp_path / "data" / "train.csv", ".", *TINY, cwd=tmp_path / "empty") == 0
    assert (tmp_path / "empty" / MANIFEST_FILE).exists() and (tmp_path / "empty_report.json").exists()


def test_killed_runs_leave_no_scratch_folder_behind(tmp_path, pic50_small):
    "Scratch folders of a killed process (here one that has exited) are removed by the next fold or search."
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    left = [Path(tempfile.gettempdir()) / f"sol_trainer_{kind}_{socket.gethostname()}_{dead}-x" for kind in ("fold", "search")]
    for folder in left: folder.mkdir(); (folder / "history.jsonl").write_text("{}")
    st.recipes.train_recipe(pic50_small, tmp_path / "r", "vector", progress=False, search_calls=2, search_epochs=1, n_fold=2,
                            epochs=1)  # a named recipe searches, so both kinds of scratch folder are made
    assert not any(folder.exists() for folder in left)


def test_a_killed_commit_leaves_no_temporary_file_in_the_next_root(tmp_path, pic50_small):
    root = tmp_path / "r"
    df, scalers = prepare_train(pic50_small, FZ, root_dir=root, progress=False)
    (root / ".manifest.json.k1ll3d.tmp").write_text("half")
    train_kfold_ensemble(df, Mlp, {}, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    assert not list(root.rglob("*.tmp"))


# Predicting -------------------------------------------------------------------------------------------------------------

def test_the_input_is_never_overwritten(tmp_path, root, table, capsys):
    copy = tmp_path / "in.csv"; copy.write_bytes(table.read_bytes())
    assert run("predict", root, copy, copy) == 2
    assert copy.read_bytes() == table.read_bytes()
    assert run("predict", root, copy, copy, "--overwrite") == 2
    assert run("predict", root, copy, tmp_path / "out.csv") == 0
    assert run("predict", root, copy, tmp_path / "out.csv") == 2
    assert "out.csv exists; choose another output, or pass --overwrite" in capsys.readouterr().err
    assert run("predict", root, copy, tmp_path / "out.csv", "--overwrite") == 0


@pytest.mark.parametrize("smiles, error", [
    ("CCO extra words", "whitespace inside the SMILES (RDKit would read only the part before it)"),
    ("C C", "whitespace inside the SMILES (RDKit would read only the part before it)"),
    ("C" * 2001, "2001 heavy atoms, more than MAX_ATOMS = 300"),
])
def test_unusable_smiles_get_the_error_column(tmp_path, root, smiles, error):
    pd.DataFrame({"smiles": ["CCO", smiles, "c1ccccc1"]}).to_csv(tmp_path / "in.csv", index=False)
    done = predict_table(root, tmp_path / "in.csv", tmp_path / "out.csv", progress=False)
    out = read_table(tmp_path / "out.csv")
    assert done["failed"] == 1 and out["error"].fillna("").tolist() == ["", error, ""]
    assert out["pIC50_mean"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize("columns, message", [
    ({"smiles": ["CCO"], "pIC50_mean": [1.0]}, "already has the column(s) ['pIC50_mean'] that the predictions add"),
    ({"smiles": ["CCO"], "error": ["none"]}, "already has the column(s) ['error'] that the predictions add"),
])
def test_input_columns_named_like_the_output_are_refused(tmp_path, root, columns, message):
    pd.DataFrame(columns).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        predict_table(root, tmp_path / "in.csv", tmp_path / "out.csv", progress=False)
    (tmp_path / "twice.csv").write_text("smiles,smiles\nCCO,CCN\n")
    assert run("predict", root, tmp_path / "twice.csv", tmp_path / "o.csv") == 2


def test_a_non_finite_prediction_is_an_error_row_not_a_number(tmp_path, root, monkeypatch, capsys):
    import sol_trainer.tables as files
    real = files.predict
    def nan_for_ethanol(*args, **kwargs):
        out = real(*args, **kwargs)
        return out.assign(mean=out["mean"].where(out["smiles_string"] != "CCO", np.nan))
    monkeypatch.setattr(files, "predict", nan_for_ethanol)
    pd.DataFrame({"smiles": ["CCN", "CCO"]}).to_csv(tmp_path / "in.csv", index=False)
    assert run("predict", root, tmp_path / "in.csv", tmp_path / "out.csv") == 1
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["pIC50_mean"].isna().tolist() == [False, True] and out["pIC50_std"].isna().tolist() == [False, True]
    assert out["error"].fillna("").tolist() == ["", files.NONFINITE]


def test_a_leftover_temporary_output_is_removed(tmp_path, root, table):
    (tmp_path / ".out.csv.abc123.tmp").write_text("half a table")
    predict_table(root, table, tmp_path / "out.csv", progress=False)
    assert not (tmp_path / ".out.csv.abc123.tmp").exists()


def test_a_graph_root_reports_bad_repeat_units_and_predicts_the_rest(tmp_path):
    data = pd.DataFrame({"smiles_string": [f"[*]C{'C' * (i % 7)}C(C{'C' * (i % 3)})[*]" for i in range(40)],
                         "prop": "Tg", "value": np.linspace(250, 400, 40)})
    graph_root = tmp_path / "graph"
    st.recipes.train_recipe(data, graph_root, "graph", progress=False, search_calls=0, n_fold=2, epochs=1)
    pd.DataFrame({"smiles": ["[*]CC[*]", "*CC(*)C*", "**", "[*]CC(C)[*]"]}).to_csv(tmp_path / "in.csv", index=False)
    done = predict_table(graph_root, tmp_path / "in.csv", tmp_path / "out.csv", progress=False)
    out = read_table(tmp_path / "out.csv")
    assert [f["row"] for f in done["failures"]] == [1, 2]
    assert out["Tg_mean"].isna().tolist() == [False, True, True, False]
    assert out["error"].fillna("").tolist()[1].startswith("not a polymer repeat unit: 3 '*' atoms")


# Loading a damaged root ------------------------------------------------------------------------------------------------

def rehashed(root, rel, content: bytes):
    "Write `content` to `rel` and put its checksum in the manifest, as a careful vandal would."
    (root / rel).write_bytes(content)
    manifest = json.loads((root / MANIFEST_FILE).read_text())
    manifest["files"][rel] = hashlib.sha256(content).hexdigest()
    (root / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.fixture
def copy_of(root, tmp_path):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".sol_trainer.lock*"))
    return copy


def test_nan_scalers_are_refused_at_load(copy_of):
    text = (copy_of / SCALERS_FILE).read_text()
    rehashed(copy_of, SCALERS_FILE, text.replace('"std": ', '"std": NaN, "was": ', 1).encode())
    with pytest.raises(InputError, match="scalers.json holds NaN"):
        st.load.load_ensemble(copy_of)


def test_nan_weights_are_refused_at_load(copy_of):
    from safetensors.torch import load_file, save
    weights = load_file(copy_of / "models" / "model_0.safetensors")
    first = next(iter(weights)); weights[first][...] = float("nan")
    rehashed(copy_of, "models/model_0.safetensors", save(weights))
    with pytest.raises(InputError, match="model_0.safetensors holds NaN or infinite weights"):
        st.load.load_ensemble(copy_of)


def test_a_deeply_nested_manifest_is_a_clear_error(copy_of):
    (copy_of / MANIFEST_FILE).write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="it nests too deep"):
        st.load.load_ensemble(copy_of)


@pytest.mark.parametrize("rel, content, message", [
    ("metadata/model.json", b'{"class": "Mlp", "kwargs": []}', "model.json is damaged"),
    ("metadata/features.json", b'{"task": "regression"}', "features.json is damaged"),
    ("metadata/hyperparams.json", b'{"capacity": "big"}', "hyperparams.json is damaged"),
    ("metadata/calibration.json", b'{"task": "regression", "properties": {"pIC50": {"n": 120, "terms": ["spread"]}}}', "calibration.json is damaged"),
])
def test_malformed_metadata_with_a_rewritten_manifest_is_named(copy_of, pic50_small, rel, content, message):
    rehashed(copy_of, rel, content)
    with pytest.raises(InputError, match=message):
        st.infer.predict(copy_of, pic50_small.head(3))


def test_an_unlisted_out_of_fold_table_is_not_read(copy_of, pic50_small):
    manifest = json.loads((copy_of / MANIFEST_FILE).read_text())
    del manifest["files"][OOF_FILE], manifest["files"]["metadata/calibration.json"]
    (copy_of / MANIFEST_FILE).write_text(json.dumps(manifest))
    (copy_of / OOF_FILE).write_text("not,a\nvalid table")
    out = st.infer.predict(copy_of, pic50_small.head(3), calibrate=False)
    assert out["similarity"].isna().all() and np.isfinite(out["mean"]).all()


def test_a_root_is_a_path_or_an_opened_root(root, pic50_small):
    "`predict` takes no calibration or ensemble of the caller's any more (the root carries its own), and refuses what is not a root."
    with pytest.raises(TypeError, match="A model root is a path, got int"):
        st.infer.predict(5, pic50_small.head(3))
    opened = st.load.ModelRoot(root, "cpu")
    assert st.infer.predict(opened, pic50_small.head(3))["mean"].notna().all()
