"One writer per model root, run folder and search folder: a second writer fails at once naming the holder; a killed holder blocks nothing; an interrupted commit leaves nothing that a rerun inherits."
import os, signal, subprocess, sys, time
from pathlib import Path

import pytest
import torch

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer
from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import Mlp
from sol_trainer.train import TrainConfig, prepare_train, train_kfold_ensemble
from sol_trainer.utils import FolderBusyError

FZ = MorganFeaturizer(n_bits=64)
TC = TrainConfig(hps=HpConfig(capacity=1), epochs=1, progress=False)


def holder(code: str) -> subprocess.Popen:
    "A process that runs `code` and prints 'held' once it holds its folder; it then sleeps until killed."
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    line = proc.stdout.readline().strip()
    assert line == "held", f"the holder said {line!r}"
    return proc


def kill(proc):
    proc.send_signal(signal.SIGKILL); proc.wait()


@pytest.fixture
def prepared(tmp_path, pic50_small):
    root = tmp_path / "root"
    df, scalers = prepare_train(pic50_small.head(40), FZ, root_dir=root, progress=False)
    return root, df, scalers


def test_second_training_into_one_root_fails_at_once_and_a_killed_holder_blocks_nothing(prepared):
    root, df, scalers = prepared
    proc = holder(f"""
import time
from sol_trainer.root import RootWriter
with RootWriter({str(root)!r}):
    print("held", flush=True); time.sleep(120)
""")
    try:
        start = time.monotonic()
        with pytest.raises(FolderBusyError, match=f"The model root {root} is being written by process {proc.pid}"):
            train_kfold_ensemble(df, Mlp, None, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
        assert time.monotonic() - start < 5
        assert not st.root.root_holds_model(root)
    finally: kill(proc)  # SIGKILL: the operating system drops its lock
    train_kfold_ensemble(df, Mlp, None, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    assert len(st.load.load_ensemble(root, device="cpu").submodels) == 2


def test_a_commit_interrupted_before_its_manifest_leaves_nothing_for_a_rerun_with_fewer_folds(prepared, monkeypatch):
    root, df, scalers = prepared
    real_replace = os.replace
    def crashing_replace(src, dst):  # every file is in place; the manifest is not
        if Path(dst).name == "manifest.json": raise OSError("disk unplugged")
        real_replace(src, dst)
    monkeypatch.setattr(st.root.os, "replace", crashing_replace)
    with pytest.raises(OSError, match="disk unplugged"):
        train_kfold_ensemble(df, Mlp, None, TC, scaler_dict=scalers, root_dir=root, n_fold=4)
    monkeypatch.setattr(st.root.os, "replace", real_replace)
    assert len(list((root / "models").glob("*.safetensors"))) == 4  # moved in before the crash; no manifest yet
    train_kfold_ensemble(df, Mlp, None, TC, scaler_dict=scalers, root_dir=root, n_fold=2)
    assert sorted(p.name for p in (root / "models").iterdir()) == ["model_0.safetensors", "model_1.safetensors"]
    assert len(st.load.load_ensemble(root, device="cpu").submodels) == 2


def test_second_run_in_one_run_folder_fails_at_once(tmp_path):
    run_dir = tmp_path / "run"
    cfg = {"training": {"path": str(tmp_path), "num_epochs": 1, "batch_size": 8, "progress": False, "tensorboard": False},
           "model": {"type": torch.nn.Linear, "args": [3, 1]}, "criterion": "mse"}
    proc = holder(f"""
import time, torch
from sol_trainer.config import ConfigTrainer
data = torch.utils.data.TensorDataset(torch.randn(20, 3), torch.randn(20, 1))
cfg = {{"training": {{"path": {str(tmp_path)!r}, "num_epochs": 1, "batch_size": 8, "progress": False, "tensorboard": False}},
       "model": {{"type": torch.nn.Linear, "args": [3, 1]}}, "criterion": "mse"}}
trainer = ConfigTrainer.from_config(cfg, dataset=data, run_dir={str(run_dir)!r})
print("held", flush=True); time.sleep(120)
""")
    data = torch.utils.data.TensorDataset(torch.randn(20, 3), torch.randn(20, 1))
    try:
        with pytest.raises(FolderBusyError, match=f"The run folder {run_dir} is being written by process {proc.pid}"):
            st.config.ConfigTrainer.from_config(cfg, dataset=data, run_dir=run_dir)
    finally: kill(proc)
    trainer = st.config.ConfigTrainer.from_config(cfg, dataset=data, run_dir=run_dir)
    trainer.run_training()
    assert (run_dir / "best.safetensors").exists()


def test_second_search_in_one_folder_fails_at_once(tmp_path):
    folder = tmp_path / "search"
    proc = holder(f"""
import time
from sol_trainer.searchers import hyp_opt
def objective(params, budget, trial_dir):
    print("held", flush=True); time.sleep(120)
hyp_opt(lambda: {{"x": 1.0}}, objective, 1, 2, {str(folder)!r})
""")
    try:
        with pytest.raises(FolderBusyError, match=f"The search folder {folder} is being written by process {proc.pid}"):
            st.searchers.hyp_opt(lambda: {"x": 1.0}, lambda p, b, d: {"loss": 0.0}, 1, 2, folder)
    finally: kill(proc)
    assert len(st.searchers.hyp_opt(lambda: {"x": 1.0}, lambda p, b, d: {"loss": float(p["x"])}, 1, 2, folder)) == 2
