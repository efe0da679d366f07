import json, math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from sol_trainer.hyperparameters import (ACTIVATIONS, INITIALIZERS, HpConfig, compute_batch_size_range,
                                         compute_max_batch)


def test_seed_usage():
    hps = HpConfig()
    out = hps.set_values({"r_learn": 10 ** -2.5, "batch_size": np.int64(40), "dropout_pct": 0.1, "capacity": 3,
                          "activation": torch.nn.functional.leaky_relu})
    assert out is hps
    assert hps.batch_size == 40 and type(hps.batch_size) is int
    assert hps.activation == "leaky_relu" and hps.activation_fn is F.leaky_relu
    assert str(hps).startswith("{activation: leaky_relu; batch_size: 40; capacity: 3; dropout_pct: 0.1; ")


def test_defaults_and_str():
    assert str(HpConfig()) == ("{activation: leaky_relu; batch_size: 32; capacity: 2; dropout_pct: 0.0; "
                               "initializer: xavier_uniform_; norm: identity; optimizer: adam; r_learn: 0.001; "
                               "swa_lr: None; swa_start_frac: 0.75; weight_decay: 0.0}")
    assert eval(repr(HpConfig(capacity=4)), {"HpConfig": HpConfig}) == HpConfig(capacity=4)


def test_coercion():
    hps = HpConfig(r_learn=1, weight_decay=np.float32(0.5), capacity=np.int32(0), swa_lr=2)
    assert (hps.r_learn, hps.weight_decay, hps.capacity, hps.swa_lr) == (1.0, 0.5, 0, 2.0)
    assert all(type(v) in (int, float, str, type(None)) for v in hps.to_dict().values())
    hps2 = HpConfig(activation=F.relu, initializer=nn.init.kaiming_normal_, norm=nn.BatchNorm1d)
    assert (hps2.activation, hps2.initializer, hps2.norm) == ("relu", "kaiming_normal_", "batch")


@pytest.mark.parametrize("field,value,msg", [
    ("capacity", True, "capacity must be an integer"),
    ("r_learn", False, "r_learn must be a number"),
    ("batch_size", 2.0, "batch_size must be an integer"),
    ("dropout_pct", 1.0, "dropout_pct=1.0 is out of range"),
    ("capacity", -1, "capacity=-1 is out of range"),
    ("r_learn", "0.1", "r_learn must be a number"),
    ("activation", F.hardtanh, "choose one of ['leaky_relu', 'relu', 'elu'"),
    ("initializer", nn.init.uniform_, "initializer="),
    ("optimizer", "sgd", "optimizer='sgd' is not supported"),
])
def test_invalid_values(field, value, msg):
    hps = HpConfig()
    with pytest.raises(ValueError) as e: hps.set_values({field: value})
    assert msg in str(e.value)
    assert hps == HpConfig()  # nothing was set


def test_unknown_keys():
    with pytest.raises(KeyError, match="lr.*valid.*r_learn"): HpConfig(lr=0.1)
    with pytest.raises(KeyError, match="beta"): HpConfig.from_dict({"beta": 1})
    with pytest.raises(AttributeError, match="no hyperparameter 'lr'"): HpConfig().lr = 0.1


def test_json_round_trip_and_independence():
    hps = HpConfig(r_learn=10 ** -2.5, batch_size=np.int64(17), norm="layer", initializer="orthogonal_",
                   activation="gelu", optimizer="swa", swa_lr=1 / 3, weight_decay=1e-5)
    back = HpConfig.from_dict(json.loads(json.dumps(hps.to_dict())))
    assert back == hps and back.to_dict() == hps.to_dict()
    a, b = HpConfig(), HpConfig()
    a.capacity, a.dropout_pct = 7, 0.5
    assert b == HpConfig() and a != b
    c = a.copy(); c.capacity = 1
    assert a.capacity == 7


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("initializer", list(INITIALIZERS))
def test_init_every_combination(activation, initializer):
    layer = nn.Linear(256, 512)
    HpConfig(activation=activation, initializer=initializer).init_linear_(layer)
    assert torch.isfinite(layer.weight).all() and layer.weight.std() > 0
    assert not layer.bias.any()


@pytest.mark.parametrize("activation,initializer,expected", [
    ("leaky_relu", "xavier_uniform_", math.sqrt(2 / (1 + 0.01 ** 2)) * math.sqrt(2 / (256 + 512))),
    ("leaky_relu", "kaiming_normal_", math.sqrt(2 / (1 + 0.01 ** 2)) / math.sqrt(256)),
    ("tanh", "kaiming_uniform_", 5 / 3 / math.sqrt(256)),
])
def test_init_std(activation, initializer, expected):
    torch.manual_seed(0)
    w = HpConfig(activation=activation, initializer=initializer).init_linear_(nn.Linear(256, 512)).weight
    assert abs(w.std().item() / expected - 1) < 0.01


def test_make_norm():
    assert isinstance(HpConfig().make_norm(5), nn.Identity)
    assert isinstance(HpConfig(norm="batch").make_norm(5), nn.BatchNorm1d)
    assert HpConfig(norm="layer").make_norm(5).normalized_shape == (5,)


def test_batch_size_range():
    assert compute_batch_size_range(10, 100, 1500) == (25, 100)
    assert compute_batch_size_range(10, 100, 900) == (22, 90)
    assert compute_batch_size_range(10, 100, 30) == (2, 3)


class Hungry(nn.Module):
    "Raises CUDA's out-of-memory error above `limit` rows; otherwise a linear layer."
    def __init__(self, limit=100):
        super().__init__()
        self.lin, self.limit = nn.Linear(3, 1), limit

    def forward(self, batch):
        if len(batch["x"]) > self.limit: raise torch.cuda.OutOfMemoryError("simulated")
        return self.lin(batch["x"])


def test_max_batch_cpu_returns_min():
    data = {"x": torch.rand(300, 3), "selector": torch.ones(300, 1), "y": torch.rand(300)}
    m = Hungry(limit=10 ** 9).eval()
    assert compute_max_batch(m, data, "cpu") == 300
    assert compute_max_batch(m, data, "cpu", init_size=64, backward=False) == 64
    assert not m.training and all(p.grad is None for p in m.parameters())


def test_max_batch_halving():
    data = {"x": torch.rand(5000, 3)}
    m = Hungry()
    assert compute_max_batch(m, data, "cpu") == 64  # 4096 -> 2048 -> ... -> 128 -> 64
    assert m.training
    with pytest.raises(RuntimeError, match="Not even a batch of 1 row"): compute_max_batch(Hungry(limit=0), data, "cpu")
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):  # other errors propagate
        compute_max_batch(Hungry(), {"x": torch.rand(10, 4)}, "cpu")
