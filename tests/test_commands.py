"The installed `sol_trainer` console script as a user runs it, in a fresh folder: version, train, predict, errors, examples."
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sol_trainer as st
from sol_trainer.cli import example_files
from sol_trainer.recipes import AUTO_CANDIDATES

SCRIPT = Path(sys.executable).parent / "sol_trainer"


def sol_trainer(*args, cwd, debug=False) -> subprocess.CompletedProcess:
    "Run the console script in `cwd` (SOL_TRAINER_DEBUG set only when `debug`)."
    env = {k: v for k, v in os.environ.items() if k != "SOL_TRAINER_DEBUG"} | {"OMP_NUM_THREADS": "1"}
    if debug: env["SOL_TRAINER_DEBUG"] = "1"
    return subprocess.run([str(SCRIPT), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def work(tmp_path_factory, pic50_small):
    "A fresh folder holding train.csv (wide) and the model root `model` that `sol_trainer train` made from it."
    assert SCRIPT.is_file(), f"the console script {SCRIPT} is not installed: pip install -e ."
    folder = tmp_path_factory.mktemp("commands")
    pic50_small.rename(columns={"smiles_string": "smiles", "value": "pIC50"})[["smiles", "pIC50"]].to_csv(folder / "train.csv", index=False)
    done = sol_trainer("train", "train.csv", "model", "--folds", "2", "--epochs", "1", "--time-budget", "30", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "pIC50: out-of-fold" in done.stdout and "model root model" in done.stdout
    return folder


def test_train_races_the_candidates_by_default(work):
    "With no --recipe, `train` is `auto`: every candidate trains its first fold, the best all, and the report says so."
    report = json.loads((work / "model_report.json").read_text())
    raced = [s["recipe"] for s in report["screening"]]
    assert sorted(raced) == sorted(AUTO_CANDIDATES) and report["recipe"] == raced[0]
    folds = [s["folds"] for s in report["screening"]]  # the best (and the others that fit) train both folds
    assert folds == sorted(folds, reverse=True) and folds[0] == 2
    assert all(s["epochs"] == 1 for s in report["screening"] if s["folds"])
    assert report["why"].startswith("lowest") and report["hyperparameters"]["r_learn"] == 1e-3  # base, no search


def test_version(tmp_path):
    done = sol_trainer("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"sol_trainer {st.__version__}\n", "")


def test_predict_matches_eval_ensemble(work, pic50_small):
    rows = pic50_small.head(12)
    pd.DataFrame({"id": range(12), "smiles": rows["smiles_string"]}).to_csv(work / "new.csv", index=False)
    done = sol_trainer("predict", "model", "new.csv", "out.csv", "--device", "cpu", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "Wrote 12 rows to out.csv" in done.stdout
    out = pd.read_csv(work / "out.csv")
    assert out["id"].tolist() == list(range(12)) and out["error"].isna().all()
    root = work / "model"
    _, mean, _, _ = st.infer.eval_ensemble(st.load.load_ensemble(root, device="cpu"), root, rows.assign(prop="pIC50").reset_index(drop=True))
    np.testing.assert_allclose(out["pIC50_mean"].to_numpy(), mean, rtol=1e-5, atol=1e-6)


def test_conditions_through_the_command_line(tmp_path, pic50_small):
    "A temperature series trains with --condition-columns, and predict then needs the temperature on every row."
    rows = pic50_small.head(30)
    series = pd.concat([pd.DataFrame({"smiles": rows["smiles_string"], "T": t, "y": rows["value"] + 0.01 * (t - 300)})
                        for t in (280, 320, 360)])
    series.to_csv(tmp_path / "series.csv", index=False)
    done = sol_trainer("train", "series.csv", "model", "--condition-columns", "T", "--recipe", "vector", "--folds", "2",
                       "--epochs", "1", "--time-budget", "inf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "model_report.json").read_text())
    assert report["rows"] == 90 and list(report["oof"]) == ["y"]  # T is an input, not a property
    pd.DataFrame({"smiles": ["CCO", "CCO"], "T": [300, 350]}).to_csv(tmp_path / "new.csv", index=False)
    done = sol_trainer("predict", "model", "new.csv", "out.csv", "--device", "cpu", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["y_mean"].notna().all() and out["y_mean"][0] != out["y_mean"][1]  # the temperature changes the prediction
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(tmp_path / "bare.csv", index=False)
    done = sol_trainer("predict", "model", "bare.csv", "o.csv", cwd=tmp_path)
    assert done.returncode != 0 and "lacks the condition column(s) ['T'] the model was trained with" in done.stderr


def test_wrong_path_is_one_line(work):
    done = sol_trainer("predict", "runs/x", "new.csv", "out.csv", cwd=work)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "sol_trainer predict: error: runs/x does not exist\n")
    debug = sol_trainer("predict", "runs/x", "new.csv", "out.csv", cwd=work, debug=True)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "FileNotFoundError: runs/x does not exist" in debug.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "missing.csv", "m"], "sol_trainer train: error: missing.csv does not exist"),
    (["train", "train.csv", "m", "--target-columns", "logS"], "sol_trainer train: error: train.csv has no column(s) ['logS']; it has ['smiles', 'pIC50']"),
    (["predict", "model", "train.csv", "no/out.csv"], "sol_trainer predict: error: The folder no does not exist (to hold out.csv); create it first"),
])
def test_bad_input_is_one_line(work, args, message):
    done = sol_trainer(*args, cwd=work)
    assert (done.returncode, done.stderr) == (2, message + "\n") and not (work / "m").exists()


def test_examples_are_copied_once(tmp_path):
    done = sol_trainer("examples", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for rel, item in example_files().items():
        assert (tmp_path / "examples" / rel).read_bytes() == item.read_bytes()
        assert f"wrote {Path('examples') / rel}" in done.stdout
    assert "Next: sol_trainer fit examples/activity_classifier.yaml" in done.stdout
    assert not list((tmp_path / "examples").rglob("__init__.py"))
    again = sol_trainer("examples", cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.startswith("sol_trainer examples: error: examples/activity_classifier.yaml exists already")
    assert sol_trainer("examples", "mine", cwd=tmp_path).returncode == 0 and (tmp_path / "mine" / "function_regressor" / "reg_model.py").is_file()
