"End-to-end tests of `sol_trainer run` (the def.py command line) on the two bundled examples."
import importlib.util
from importlib.resources import files
import json
import logging
import os
from pathlib import Path

import h5py
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import sol_trainer.defpy as defpy
from sol_trainer.cli import main
from sol_trainer.defpy import DEFPY_FLAGS, run_defpy
from sol_trainer.history import read_history
from sol_trainer.utils import parse_command

EXAMPLES = Path(str(files("sol_trainer") / "examples"))  # package data, as `sol_trainer examples` copies it
CONV, REG = EXAMPLES / "conv_seq_classifier", EXAMPLES / "function_regressor"


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"example_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def conv_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("conv") / "data"
    _import(CONV / "make_data.py").make_data(data, 1200, 300, 200, seed=0)
    return data


@pytest.fixture(scope="module")
def reg_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("reg") / "data"
    _import(REG / "make_data.py").make_data(data, 600, 200, 100, seed=0)
    return data


@pytest.fixture(scope="module")
def conv_run(conv_data, tmp_path_factory):
    "The conv example searched (-ep 3), tested and predicted through the console script's `main`."
    result = tmp_path_factory.mktemp("conv_run") / "results"
    main(["run", "-f", str(CONV / "conv_model.py"), "-d", str(conv_data), "-r", str(result),
          "-y", "-e", "-p", "test.h5.batch*", "-ep", "3", "-bs", "100", "--cpu"])
    return result


def _args(model, data, result, *flags):
    "Keyword arguments of `run_defpy` as the command line gives them."
    return parse_command(run_defpy, ["-f", str(model), "-d", str(data), "-r", str(result), "--cpu", *flags], DEFPY_FLAGS)


def test_conv_layout_and_metrics(conv_run, conv_data):
    best = conv_run / "best_config"
    assert best.is_symlink() and not os.path.isabs(os.readlink(best))
    assert best.resolve().parent == conv_run.resolve() and best.resolve().name.startswith("trial_")
    assert (conv_run / "model_def.py").read_text() == (CONV / "conv_model.py").read_text()
    trials = sorted(conv_run.glob("trial_*"))
    assert len(trials) == 5  # -ep 3, eta 3: brackets of 3 (one promoted to 3 epochs) and 2 configurations
    for trial in trials:
        assert (trial / "params.json").is_file() and (trial / "logs" / "history.jsonl").is_file()
        assert sorted(p.name for p in (trial / "models").iterdir())[0] == "epoch_0001.pt"
    best_info = json.loads((conv_run / "best.json").read_text())
    assert best_info["trial"] == best.resolve().name and best_info["budget"] == 3
    test = json.loads((best / "test_result.json").read_text())
    assert set(test) == {"epoch", "loss", "accuracy", "auroc"}
    assert test["auroc"] > 0.9  # measured 0.995 with these settings
    preds = sorted(p.name for p in best.glob("*.npy"))
    assert preds == ["test.h5.batch1.npy", "test.h5.batch2.npy"]
    p = np.load(best / "test.h5.batch1.npy")
    with h5py.File(conv_data / "test.h5.batch1", "r") as f: labels = f["label"][()]
    assert p.shape == (200,) and ((p >= 0) & (p <= 1)).all()
    assert roc_auc_score(labels, p) > 0.9


def test_rerun_skips_search_test_and_predictions(conv_run, conv_data, monkeypatch, caplog):
    def no_search(*args, **kwargs): raise AssertionError("the search must be skipped")
    monkeypatch.setattr(defpy, "hyperband", no_search)
    caplog.set_level(logging.INFO, logger="sol_trainer")
    before = {p: p.stat().st_mtime_ns for p in (conv_run / "best_config").glob("test*")}
    done = run_defpy(**_args(CONV / "conv_model.py", conv_data, conv_run, "-y", "-e", "-p", "test.h5.batch*", "-ep", "3"))
    assert "skipping the hyperparameter search" in caplog.text
    assert done["test"] == json.loads((conv_run / "best_config" / "test_result.json").read_text())
    assert done["predictions"]["written"] == [] and len(done["predictions"]["skipped"]) == 2
    assert {p: p.stat().st_mtime_ns for p in (conv_run / "best_config").glob("test*")} == before
    # a deleted prediction is made again, the other one is still skipped
    (conv_run / "best_config" / "test.h5.batch2.npy").unlink()
    done = run_defpy(**_args(CONV / "conv_model.py", conv_data, conv_run, "-p", "test.h5.batch*"))
    assert [Path(p).name for p in done["predictions"]["written"]] == ["test.h5.batch2.npy"]
    assert len(done["predictions"]["skipped"]) == 1


def test_regressor_end_to_end(reg_data, tmp_path):
    result = tmp_path / "results"
    done = run_defpy(**_args(REG / "reg_model.py", reg_data, result, "-y", "-e", "-p", "X_pred.csv", "-ep", "9"))
    assert (result / "best_config").is_symlink()
    assert len(list(result.glob("trial_*"))) == 17  # -ep 9, eta 3: brackets of 9, 5 and 3 configurations
    assert done["test"]["pearson"] > 0.9  # measured about 0.95
    pred = np.load(result / "best_config" / "X_pred.csv.npy")
    assert pred.shape == (100,)
    table = read_history(result / "best_config")
    assert table.epoch.max() + 1 == done["best"]["budget"]


def test_save_prediction_gets_the_matched_file(reg_data, tmp_path):
    model = tmp_path / "reg_save.py"
    model.write_text((REG / "reg_model.py").read_text() + (
        "\nSEEN = []\n"
        "def save_prediction(pred_path, Y):\n"
        "    np.save(pred_path + '.custom.npy', Y)\n"))
    data = tmp_path / "data"
    data.mkdir()
    for name in ("X_train.csv", "Y_train.csv", "X_test.csv", "Y_test.csv"): (data / name).symlink_to(reg_data / name)
    for name in ("X_pred_a.csv", "X_pred_b.csv"): (data / name).symlink_to(reg_data / "X_pred.csv")
    done = run_defpy(**_args(model, data, tmp_path / "results", "-y", "-p", "X_pred_*.csv", "-ep", "1"))
    assert len(done["predictions"]["written"]) == 2
    a, b = np.load(data / "X_pred_a.csv.custom.npy"), np.load(data / "X_pred_b.csv.custom.npy")
    assert a.shape == (100,) and np.allclose(a, b)


def test_debug_trains_one_epoch_with_batches_of_two(reg_data, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="sol_trainer")
    result = tmp_path / "results"
    run_defpy(**_args(REG / "reg_model.py", reg_data, result, "-y", "--debug", "-ep", "9"))
    assert [p.name for p in result.glob("trial_*")] == ["trial_000"]
    assert read_history(result / "trial_000").epoch.tolist() == [0]
    assert "Network:" in caplog.text and "Adam" in caplog.text


def test_missing_functions_are_named(conv_data, tmp_path):
    partial = tmp_path / "partial.py"
    partial.write_text("def get_config(): return {}\n")
    with pytest.raises(AttributeError, match=r"does not define get_train_generator \(needed by -y\), Model \(needed by -y -e\), "
                                             r"get_test_generator \(needed by -e\)"):
        run_defpy(**_args(partial, conv_data, tmp_path / "r1", "-y", "-e"))
    no_val = tmp_path / "no_val.py"
    no_val.write_text((CONV / "conv_model.py").read_text().replace("def get_val_generator", "def _unused_val_generator"))
    with pytest.raises(AttributeError, match="does not define get_val_generator"):
        run_defpy(**_args(no_val, conv_data, tmp_path / "r2", "-y", "-ep", "1"))
    assert not list((tmp_path / "r2").glob("trial_*"))  # found before any training


def test_eval_and_predict_need_a_search_and_a_match(conv_data, conv_run, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"run the hyperparameter search \(-y\) first"):
        run_defpy(**_args(CONV / "conv_model.py", conv_data, tmp_path / "fresh", "-e"))
    with pytest.raises(FileNotFoundError, match=r"matches 'nothing\*'"):
        run_defpy(**_args(CONV / "conv_model.py", conv_data, conv_run, "-p", "nothing*"))


def test_a_prediction_glob_that_leaves_the_data_folder_is_refused_before_anything_runs(reg_data, tmp_path, capsys):
    outside = tmp_path / "a" / "b"
    work = outside / "data"
    work.mkdir(parents=True)
    for name in ("X_train.csv", "Y_train.csv"): (work / name).symlink_to(reg_data / name)
    (tmp_path / "victim.csv").write_text("1,2\n")
    for pattern in ("../../*.csv", "../*", str(tmp_path / "*.csv")):
        with pytest.raises(SystemExit) as e:  # the command line reports the ValueError in one line, exit status 2
            main(["run", "-f", str(REG / "reg_model.py"), "-d", str(work), "-r", str(outside / "res"), "-y", "-p", pattern, "-ep", "1"])
        assert e.value.code == 2 and "must name files inside the data folder" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.npy")) and not list((outside / "res").glob("trial_*"))


def test_a_file_that_cannot_be_predicted_is_reported_and_the_others_are_written(reg_data, tmp_path, caplog):
    "`-p '**/*.csv'` over the example's data folder, the result folder inside it: the input tables are predicted, the label tables "
    "(one column, not inputs of the model) are reported with their error and nothing is raised; the run's own files are never inputs."
    data = tmp_path / "data"
    data.mkdir()
    for name in ("X_train.csv", "Y_train.csv", "X_test.csv", "Y_test.csv", "X_pred.csv"): (data / name).symlink_to(reg_data / name)
    result = data / "results"
    caplog.set_level(logging.WARNING, logger="sol_trainer")
    done = run_defpy(**_args(REG / "reg_model.py", data, result, "-y", "-p", "**/*.csv", "-ep", "1"))["predictions"]
    assert [Path(p).name for p in done["written"]] == ["X_pred.csv.npy", "X_test.csv.npy", "X_train.csv.npy"]
    assert [Path(f["file"]).name for f in done["failed"]] == ["Y_test.csv", "Y_train.csv"]
    assert all(f["error"].startswith("RuntimeError: mat1 and mat2 shapes cannot be multiplied") for f in done["failed"])
    assert f"Cannot predict {data / 'Y_test.csv'}" in caplog.text and "Traceback" not in caplog.text
    assert np.load(result / "best_config" / "X_pred.csv.npy").shape == (100,)
    assert not list((result / "best_config").glob("Y_*"))
    # a glob matching everything, the search's files and the predictions under results/ included: only the tables are inputs
    again = run_defpy(**_args(REG / "reg_model.py", data, result, "-p", "**/*"))["predictions"]
    assert (again["written"], len(again["skipped"])) == ([], 3)
    assert [Path(f["file"]).name for f in again["failed"]] == ["Y_test.csv", "Y_train.csv"]
    with pytest.raises(FileNotFoundError, match="matches 'results/\\*' outside the result folder"):
        run_defpy(**_args(REG / "reg_model.py", data, result, "-p", "results/*"))
