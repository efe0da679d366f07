"""def.py of the function_regressor example: an MLP learning a noisy function of four inputs (data from make_data.py).

Environment variables: VAL_RATIO, the share of the training rows held out for validation (default 0.1).
"""
import os

import numpy as np
import torch
from torch import nn

from sol_trainer.defpy import MatrixBatchGenerator, RegressionModel

VAL_RATIO = float(os.environ.get("VAL_RATIO", "0.1"))

def read_csv(path: str) -> np.ndarray:
    "A CSV file with a header line as a 2-D float32 array."
    return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2)

def get_train_generator(data_dir, batch_size):
    X, Y = read_csv(f"{data_dir}/X_train.csv"), read_csv(f"{data_dir}/Y_train.csv")[:, 0]
    return MatrixBatchGenerator.get_train_val_generator(X, Y, VAL_RATIO, batch_size)  # (train, val): no get_val_generator

def get_test_generator(data_dir):
    return MatrixBatchGenerator(read_csv(f"{data_dir}/X_test.csv"), read_csv(f"{data_dir}/Y_test.csv")[:, 0])

def get_pred_generator(pred_path):
    return MatrixBatchGenerator(read_csv(pred_path))

def get_config():
    return {"lr": float(10 ** np.random.uniform(-3, -1.5)),      # log-uniform in [0.001, 0.03]
            "hidden": int(np.random.choice([32, 64, 128])),
            "layers": int(np.random.choice([1, 2])),
            "dropout": float(np.random.uniform(0.0, 0.3))}

class Model(RegressionModel):
    def init_model(self):
        c, layers, width = self.config, [], 4
        for _ in range(c["layers"]):
            layers += [nn.Linear(width, c["hidden"]), nn.ReLU(), nn.Dropout(c["dropout"])]
            width = c["hidden"]
        network = nn.Sequential(*layers, nn.Linear(width, 1))
        super().init_model(network, optimizer=torch.optim.Adam(network.parameters(), lr=c["lr"]))
