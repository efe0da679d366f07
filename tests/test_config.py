"Config-driven training end to end: the YAML example through the command line, bad configurations, graph networks."
import json
from importlib.resources import files
from pathlib import Path

import pytest
import torch

from sol_trainer.cli import main
from sol_trainer.config import ConfigTrainer, apply_graph_model, collate_graphs, load_config, load_run, read_run_config
from sol_trainer.callbacks import EarlyStopping, GradientClip, GradientHealth
from sol_trainer.engine import Callback

EXAMPLE = Path(str(files("sol_trainer") / "examples" / "activity_classifier.yaml"))  # package data


def test_example_runs_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(["fit", str(EXAMPLE), "--epochs", "4"])
    out = capsys.readouterr().out
    assert "test: loss_avg=" in out and "auroc=" in out
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("activity_")
    result = json.loads((run / "test_result.json").read_text())
    assert result["auroc"] > 0.75
    assert [p.name for p in sorted((run / "checkpoints").iterdir())] == ["epoch_0004.pt"]
    main(["fit", str(run / "config.yaml"), "--resume"])  # nothing left to do: 4 of 4 epochs done
    assert "Trained 4 epochs" in capsys.readouterr().out


def test_a_stop_file_in_the_working_directory_ends_the_run(tmp_path, monkeypatch):
    "As with the drugform trainer: `stop_<name>` created in the working directory stops after the current epoch."
    monkeypatch.chdir(tmp_path)
    cfg = load_config(EXAMPLE)
    cfg["training"].update(num_epochs=6, progress=False, tensorboard=False, path=str(tmp_path / "runs"))
    cfg.pop("early_stopping", None)
    trainer = ConfigTrainer.from_config(cfg)

    class CreateStopFile(Callback):
        def after_epoch(self, trainer):
            if trainer.epoch == 1: (tmp_path / f"stop_{cfg['name']}").touch()
    trainer.trainer.callbacks.append(CreateStopFile())
    history, _ = trainer.run_training()
    assert len(history) == 2 and history["status"].iloc[-1] == "stop file"
    assert not (tmp_path / f"stop_{cfg['name']}").exists()  # consumed


def test_schema_violation_names_the_key_path(tmp_path):
    cfg = load_config(EXAMPLE)
    cfg["training"]["batch_size"] = "32"
    with pytest.raises(ValueError, match=r"training.batch_size: '32' is not of type 'integer'"):
        ConfigTrainer.from_config(cfg)


def test_unknown_pyobject_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("torch.optim.AdamW", "torch.optim.AdamX"))
    with pytest.raises(ValueError, match=r"!pyobject 'torch.optim.AdamX': 'torch.optim' has no attribute"):
        load_config(bad)


def test_nothing_is_trained_or_written_before_the_config_is_checked(tmp_path):
    cfg = load_config(EXAMPLE)
    cfg["training"]["path"] = str(tmp_path / "runs")
    cfg["validation"]["validator"]["evaluator_tasks"][0].pop("monitor")
    with pytest.raises(ValueError, match="validation"):
        ConfigTrainer.from_config(cfg)
    assert not (tmp_path / "runs").exists()


class GraphSet(torch.utils.data.Dataset):
    "Random graphs whose label says whether the mean node feature is positive."
    collate_fn = staticmethod(collate_graphs)

    def __init__(self, n=120, seed=0):
        from torch_geometric.data import Data
        g = torch.Generator().manual_seed(seed)
        self.items = []
        for _ in range(n):
            nodes = int(torch.randint(3, 8, (1,), generator=g))
            x = torch.randn(nodes, 2, generator=g) + torch.randn(1, generator=g)
            ring = torch.arange(nodes)
            edge_index = torch.stack([torch.cat([ring, (ring + 1) % nodes]), torch.cat([(ring + 1) % nodes, ring])])
            self.items.append(Data(x=x, edge_index=edge_index, y=(x[:, 0].mean() > 0).float().reshape(1)))

    def __len__(self): return len(self.items)
    def __getitem__(self, i): return self.items[i]


class GraphNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        from torch_geometric.nn import GCNConv
        self.conv, self.out = GCNConv(2, 16), torch.nn.Linear(16, 1)

    def forward(self, x, edge_index, batch):
        from torch_geometric.nn import global_mean_pool
        return self.out(global_mean_pool(torch.relu(self.conv(x, edge_index)), batch)).reshape(-1)


def test_graph_network_trains_from_a_config(tmp_path):
    pytest.importorskip("torch_geometric")
    cfg = {"name": "graphs", "training": {"path": str(tmp_path), "num_epochs": 15, "batch_size": 16, "progress": False,
                                          "tensorboard": False, "optimizer_kwargs": {"lr": 0.01}},
           "model": {"type": GraphNet}, "criterion": "bce", "apply_model": apply_graph_model}
    trainer = ConfigTrainer.from_config(cfg, dataset=GraphSet())
    history, validation = trainer.run_training()
    assert history["val_loss"].min() < 0.5 * history["val_loss"].iloc[0]
    assert trainer.run_test()["loss_avg"].iloc[-1] < 0.5


def test_an_overlong_run_name_is_a_schema_error_not_an_oserror(tmp_path):
    cfg = load_config(EXAMPLE)
    cfg["name"] = "x" * 300
    cfg["training"]["path"] = str(tmp_path / "runs")
    with pytest.raises(ValueError, match=r"name: 'x+' is too long"):
        ConfigTrainer.from_config(cfg)
    assert not (tmp_path / "runs").exists()


def test_fit_resume_of_an_edited_run_folder_runs_nothing_it_names(tmp_path, monkeypatch, capsys):
    "A run folder's config.yaml edited to run a command: `fit --resume` refuses it in one line before importing or calling it."
    monkeypatch.chdir(tmp_path)
    main(["fit", str(EXAMPLE), "--epochs", "1"])
    (run,) = (tmp_path / "runs").iterdir()
    capsys.readouterr()
    marker = tmp_path / "attack_ran"
    with open(run / "config.yaml", "a") as f: f.write(f"\nmodel: {{type: !pyobject os.system, args: ['touch {marker}']}}\n")
    with pytest.raises(SystemExit) as e:
        main(["fit", str(run / "config.yaml"), "--resume"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"{run / 'config.yaml'}: !pyobject 'os.system' is not loaded" in err
    assert not marker.exists()


def test_a_fresh_run_builds_what_its_file_names_a_resume_needs_trust(tmp_path, monkeypatch):
    "Your own YAML may name any class; resuming its run folder names it again, and is refused unless allowed or trusted."
    monkeypatch.chdir(tmp_path)
    own = tmp_path / "own.yaml"
    own.write_text(EXAMPLE.read_text().replace("num_epochs: 30", "num_epochs: 1").replace(
        "  progress: true\n", "  progress: false\n  callbacks: [{type: !pyobject sol_trainer.engine.GradientHealth}]\n"))
    main(["fit", str(own)])
    (run,) = (tmp_path / "runs").iterdir()
    with pytest.raises(ValueError, match=r"config.yaml: !pyobject 'sol_trainer.callbacks.GradientHealth' is not loaded"):
        ConfigTrainer.from_config(run / "config.yaml", resume=True)
    trainer = ConfigTrainer.from_config(run / "config.yaml", resume=True, trusted=True)
    history, _ = trainer.run_training()
    assert len(history) == 1 and any(isinstance(cb, GradientHealth) for cb in trainer.trainer.callbacks)


OLD_PATHS = ("  progress: false\n  callbacks:\n"
             "    - {type: !pyobject sol_trainer.engine.GradientClip, kwargs: {max_norm: 5.0}}\n"
             "    - {type: !pyobject sol_trainer.engine.EarlyStopping, kwargs: {patience: 20}}\n")


def test_a_config_naming_the_engine_paths_of_moved_callbacks_still_loads(tmp_path, monkeypatch, capsys):
    "Callbacks moved out of `sol_trainer.engine`: YAML files and run folders saved before the move name them there, and still work."
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "old.yaml"
    old.write_text(EXAMPLE.read_text().replace("num_epochs: 30", "num_epochs: 2").replace("  progress: true\n", OLD_PATHS))
    cfg = load_config(old)  # the full loader of a fresh run
    assert [spec["type"] for spec in cfg["training"]["callbacks"]] == [GradientClip, EarlyStopping]
    main(["fit", str(old)])
    (run,) = (tmp_path / "runs").iterdir()
    saved = run / "config.yaml"  # written with the new paths; put back the ones a run folder of the old version has
    assert "sol_trainer.callbacks.GradientClip" in saved.read_text()
    saved.write_text(saved.read_text().replace("sol_trainer.callbacks.", "sol_trainer.engine."))
    assert "!pyobject 'sol_trainer.engine.EarlyStopping'" in saved.read_text()
    assert load_run(run).predict(torch.zeros(3, 1024)).shape == (3,)  # the safe loader of prediction
    with pytest.raises(ValueError, match=r"!pyobject 'sol_trainer.engine.GradientClip' is not loaded"):
        read_run_config(saved)  # the safe loader of resuming refuses callbacks, under their old path as under the new one
    resolved = read_run_config(saved, allow=[GradientClip, EarlyStopping])
    assert [spec["type"] for spec in resolved["training"]["callbacks"]] == [GradientClip, EarlyStopping]
    resumed = ConfigTrainer.from_config(saved, resume=True, allow=[GradientClip, EarlyStopping])
    assert sum(isinstance(cb, (GradientClip, EarlyStopping)) for cb in resumed.trainer.callbacks) == 2
    resumed.close()
    capsys.readouterr()
    saved.write_text(saved.read_text().replace("num_epochs: 2", "num_epochs: 3"))
    main(["fit", str(saved), "--resume", "--trusted"])
    assert "Trained 3 epochs" in capsys.readouterr().out
