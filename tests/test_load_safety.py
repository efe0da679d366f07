"Loading a run folder for prediction imports and calls nothing its config.yaml names, unless the package, torch.nn/optim or the caller allow it."
import sys

import pytest
import torch
from torch import nn

from sol_trainer.config import ConfigTrainer, load_config, load_run, register_loadable, LOADABLE


class UserNet(nn.Module):
    "A model class of the calling program."
    def __init__(self): super().__init__(); self.lin = nn.Linear(3, 1)
    def forward(self, x): return self.lin(x).squeeze(-1)


def train_run(tmp_path, model):
    cfg = {"name": "tiny", "training": {"path": str(tmp_path / "runs"), "num_epochs": 2, "batch_size": 8, "progress": False,
                                        "tensorboard": False},
           "model": model, "criterion": "mse"}
    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(40, 3, generator=g), torch.randn(40, generator=g))
    trainer = ConfigTrainer.from_config(cfg, dataset=data)
    trainer.run_training()
    return trainer.run_dir, data


@pytest.fixture
def run(tmp_path):
    return train_run(tmp_path, {"type": nn.Linear, "args": [3, 1]})


def edited(run_dir, model_yaml):
    "The run with its model section replaced (YAML keeps the last of duplicate keys)."
    with open(run_dir / "config.yaml", "a") as f: f.write(f"\nmodel: {model_yaml}\n")
    return run_dir


def test_a_plain_run_loads_and_predicts(run):
    run_dir, data = run
    assert load_run(run_dir).predict_dataset(data).shape == (40, 1)


@pytest.mark.parametrize("attack", [
    "{{type: !pyobject os.system, args: ['touch {marker}']}}",
    "{{type: !pyobject subprocess.getoutput, args: ['touch {marker}']}}",
    "{{type: !pyobject builtins.exec, args: [\"open('{marker}', 'w')\"]}}",
    "{{type: !pyobject posix.system, args: ['touch {marker}']}}",
    "{{type: !pyobject sol_trainer.config.importlib.import_module, args: [os]}}",
    "{{type: !pyobject sol_trainer.config.import_object, args: [os.system]}}",
    "{{type: !pyobject sol_trainer.config.load_config, args: ['{marker}.yaml']}}",
    "{{type: !pyobject sol_trainer.config.ConfigTrainer.from_config, args: ['{marker}.yaml']}}",
    "{{type: !pyobject sol_trainer.defpy.run_defpy, kwargs: {{model: '{marker}.py'}}}}",
    "{{type: !pyobject torch.nn.functional.torch.load, args: ['{marker}.pt']}}",
    "{{type: !pyobject torch.nn.Linear, args: [3, 1], kwargs: {{device: !pyobject os.system}}}}",
])
def test_attacks_run_nothing(run, tmp_path, attack):
    run_dir, _ = run
    marker = tmp_path / "attack_ran"
    with pytest.raises(ValueError, match="is not loaded"):
        load_run(edited(run_dir, attack.format(marker=marker)))
    assert not marker.exists()


def test_a_module_planted_in_the_run_folder_is_not_imported(run, tmp_path, monkeypatch):
    run_dir, _ = run
    marker = tmp_path / "planted_ran"
    (run_dir / "planted_model.py").write_text(f"open({str(marker)!r}, 'w').close()\nimport torch\nModel = torch.nn.Linear\n")
    monkeypatch.syspath_prepend(str(run_dir))
    monkeypatch.chdir(run_dir)
    for tag in ("planted_model.Model", "sol_trainer.planted_model.Model", "torch.nn.planted_model.Model"):
        with pytest.raises(ValueError, match="is not loaded"):
            load_run(edited(run_dir, f"{{type: !pyobject {tag}, args: [3, 1]}}"))
    assert not marker.exists() and "planted_model" not in sys.modules


def test_the_data_section_is_never_resolved(run):
    run_dir, data = run
    with open(run_dir / "config.yaml", "a") as f: f.write("\ndata: {dataset: {type: !pyobject os.system, args: [id]}}\n")
    assert load_run(run_dir).predict_dataset(data).shape == (40, 1)


def test_user_classes_need_permission(tmp_path):
    run_dir, data = train_run(tmp_path, {"type": UserNet})
    with pytest.raises(ValueError, match=f"'{__name__}.UserNet' is not loaded"):
        load_run(run_dir)
    expected = load_run(run_dir, allow=[UserNet]).predict_dataset(data)
    assert torch.equal(load_run(run_dir, trusted=True).predict_dataset(data), expected)
    try:
        register_loadable(UserNet)
        assert torch.equal(load_run(run_dir).predict_dataset(data), expected)
    finally: LOADABLE.pop(f"{__name__}.UserNet")


def test_training_from_your_own_yaml_still_resolves_everything(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("model: {type: !pyobject collections.OrderedDict}\n")
    import collections
    assert load_config(path)["model"]["type"] is collections.OrderedDict
