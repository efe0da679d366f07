"Resuming a YAML run after damage: damaged checkpoints, an edited learning rate, leftovers of killed writes."
import logging

import pytest
import torch

from sol_trainer.cli import main
from sol_trainer.config import ConfigTrainer, FingerprintTable, dump_config, load_config
from sol_trainer.checkpoints import read_checkpoint
from sol_trainer.engine import Callback
from sol_trainer.models import Mlp
from sol_trainer.utils import write_text


class Killed(Exception):
    "Stands for the process being killed."


class KillAt(Callback):
    "Kill the run as epoch `epoch` starts, after the checkpoints of the epochs before it."
    def __init__(self, epoch): self.epoch = epoch

    def before_epoch(self, trainer):
        if trainer.epoch == self.epoch: raise Killed()


def tiny_config(root, **training):
    "Six epochs of a small MLP on 300 bundled pIC50 rows, a checkpoint every two epochs, the best two averaged."
    return {"name": "tiny",
            "training": {"path": str(root), "num_epochs": 6, "batch_size": 32, "checkpoint_at": 2, "n_best": 2,
                         "progress": False, "tensorboard": False, "optimizer_type": "adamw",
                         "optimizer_kwargs": {"lr": 1e-3, "weight_decay": 1e-2}, "lr_scheduler_type": "golden_plateau",
                         **training},
            "data": {"dataset": {"type": FingerprintTable, "kwargs": {"table": "pic50", "n_bits": 64}},
                     "subset": 0.3, "split": [0.8, 0.2]},
            "model": {"type": Mlp, "kwargs": {"input_dim": 64, "hidden": [16], "squeeze": True,
                                              "hps": {"dropout_pct": 0.2}}},
            "criterion": "mse"}


def killed_run(root):
    "The run folder of a run killed as its sixth epoch started: checkpoints after 2 and 4 epochs, no final weights."
    trainer = ConfigTrainer.from_config(tiny_config(root))
    trainer.trainer.callbacks.append(KillAt(5))
    with pytest.raises(Killed): trainer.run_training()
    assert sorted(p.name for p in (trainer.run_dir / "checkpoints").iterdir()) == ["epoch_0002.pt", "epoch_0004.pt"]
    return trainer.run_dir


def resume(run):
    "Resume `run` from its own config.yaml; return the history."
    history, _ = ConfigTrainer.from_config(run / "config.yaml", resume=True).run_training()
    return history


def final_weights(run):
    return read_checkpoint(run / "checkpoints" / "epoch_0006.pt")["model"]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    "The same run, never interrupted: its history and final weights."
    trainer = ConfigTrainer.from_config(tiny_config(tmp_path_factory.mktemp("full")))
    history, _ = trainer.run_training()
    return history, final_weights(trainer.run_dir)


def same_as_full_run(run, history, full_run):
    full_history, full_weights = full_run
    assert history["epoch"].tolist() == list(range(6))
    assert history["val_loss"].tolist() == full_history["val_loss"].tolist()
    weights = final_weights(run)
    return weights.keys() == full_weights.keys() and all(torch.equal(weights[k], full_weights[k]) for k in weights)


def warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_zeroed_newest_checkpoint_falls_back_through_the_command_line(tmp_path, full_run, caplog, capsys):
    run = killed_run(tmp_path)
    newest = run / "checkpoints" / "epoch_0004.pt"
    newest.write_bytes(bytes(newest.stat().st_size))
    caplog.set_level(logging.INFO, logger="sol_trainer")
    main(["fit", str(run / "config.yaml"), "--resume"])
    assert "Trained 6 epochs" in capsys.readouterr().out
    (warning,) = warnings(caplog)
    assert warning.startswith(f"{newest} is not a readable checkpoint (")
    assert warning.endswith(f"resuming from {run / 'checkpoints' / 'epoch_0002.pt'} instead")
    assert "weights_only" not in caplog.text
    assert f"Resumed from {run / 'checkpoints' / 'epoch_0002.pt'} at epoch 2" in caplog.messages
    assert same_as_full_run(run, resume(run), full_run)  # resuming the finished run changes nothing


def test_truncated_newest_checkpoint_falls_back(tmp_path, full_run, caplog):
    run = killed_run(tmp_path)
    newest = run / "checkpoints" / "epoch_0004.pt"
    newest.write_bytes(newest.read_bytes()[:newest.stat().st_size // 2])
    history = resume(run)
    (warning,) = warnings(caplog)
    assert warning.startswith(f"{newest} is not a readable checkpoint (") and "epoch_0002.pt instead" in warning
    assert same_as_full_run(run, history, full_run)


def test_changed_bytes_in_a_checkpoint_are_detected(tmp_path, full_run, caplog):
    run = killed_run(tmp_path)
    newest = run / "checkpoints" / "epoch_0004.pt"
    weight = read_checkpoint(newest)["model"]["hidden.0.weight"]
    data = bytearray(newest.read_bytes())
    data[data.index(weight.numpy().tobytes()) + 3] ^= 0x40  # one bit of one weight
    newest.write_bytes(data)
    assert not torch.equal(torch.load(newest, weights_only=True)["model"]["hidden.0.weight"], weight)  # torch reads it
    history = resume(run)
    (warning,) = warnings(caplog)
    assert warning.startswith(f"{newest} is damaged: its content does not match the digest saved with it")
    assert same_as_full_run(run, history, full_run)


def test_all_checkpoints_damaged_is_an_error_naming_the_folder(tmp_path, full_run):
    run = killed_run(tmp_path)
    folder = run / "checkpoints"
    for path in folder.glob("epoch_*.pt"): path.write_bytes(bytes(100))
    with pytest.raises(ValueError, match=f"No intact checkpoint to resume from in {folder}: .*epoch_0004.pt.*epoch_0002.pt") as e:
        resume(run)
    assert "To start over, delete the damaged files, or train without resuming" in str(e.value)
    assert "weights_only" not in str(e.value)
    assert [p.read_bytes() for p in sorted(folder.iterdir())] == [bytes(100)] * 2  # nothing was overwritten
    for path in folder.glob("epoch_*.pt"): path.unlink()
    assert same_as_full_run(run, resume(run), full_run)  # starting over as the message says


def test_edited_learning_rate_is_applied_with_a_warning(tmp_path, caplog):
    run = killed_run(tmp_path)
    cfg = load_config(run / "config.yaml")
    cfg["training"]["optimizer_kwargs"] = {"lr": 1e-4, "weight_decay": 1e-3}
    write_text(run / "config.yaml", dump_config(cfg))
    history = resume(run)
    assert warnings(caplog) == [f"Resuming from {run / 'checkpoints' / 'epoch_0004.pt'} with the edited optimizer settings "
                                "lr 0.001 -> 0.0001, weight_decay 0.01 -> 0.001"]
    assert history["lr"].tolist() == [1e-3] * 4 + [1e-4] * 2
    final = read_checkpoint(run / "checkpoints" / "epoch_0006.pt")
    group = final["optimizer"]["param_groups"][0]
    assert (group["lr"], group["weight_decay"]) == (1e-4, 1e-3)
    assert final["scheduler"]["min_lrs"][0] == pytest.approx(1e-5)  # golden_plateau's floor follows the new rate
    caplog.clear()
    resume(run)  # the finished run recorded the new settings: resuming again changes nothing
    assert warnings(caplog) == []


def test_leftovers_of_killed_writes_are_removed(tmp_path, caplog):
    run = killed_run(tmp_path)
    leftovers = [run / ".best.safetensors.k3x9q1ab.tmp", run / ".averaged.safetensors.k3x9q1ab.tmp",
                 run / "checkpoints" / ".epoch_0006.pt.k3x9q1ab.tmp"]
    for path in leftovers: path.write_bytes(b"half a file")
    stranger = run / ".notes.txt.k3x9q1ab.tmp"
    stranger.touch()
    caplog.set_level(logging.INFO, logger="sol_trainer")
    resume(run)
    assert [p.exists() for p in leftovers] == [False] * 3 and stranger.exists()
    removed = [m for m in caplog.messages if m.startswith("Removed ")]
    assert removed == [f"Removed {p}, left by an interrupted write" for p in leftovers]
    assert (run / "best.safetensors").is_file() and (run / "averaged.safetensors").is_file()
