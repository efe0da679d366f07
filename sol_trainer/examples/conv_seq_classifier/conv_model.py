"""def.py of the conv_seq_classifier example: a 1-D convolutional classifier finding a planted motif (data from make_data.py)."""
import numpy as np
import torch
from torch import nn

from sol_trainer.defpy import ClassificationModel, H5pyBatchGenerator, MaxNormConstraint

def as_float(X, Y):
    "One-hot bytes to float32 inputs; labels as int64."
    return X.astype(np.float32), Y.astype(np.int64)

def get_train_generator(data_dir, batch_size):
    return H5pyBatchGenerator(f"{data_dir}/train.h5", batch_size, shuffle=True, process_x_y=as_float)

def get_val_generator(data_dir):
    return H5pyBatchGenerator(f"{data_dir}/valid.h5", process_x_y=as_float)

def get_test_generator(data_dir):
    return H5pyBatchGenerator(f"{data_dir}/test.h5.batch*", process_x_y=as_float)

def get_pred_generator(pred_path):
    return H5pyBatchGenerator(pred_path, process_x_y=as_float)

def get_config():
    return {"lr": float(10 ** np.random.uniform(-3, -1.5)),   # log-uniform in [0.001, 0.03]
            "filters": int(np.random.choice([16, 32, 64])),
            "width": int(np.random.choice([7, 9, 11])),
            "dropout": float(np.random.uniform(0.0, 0.5)),
            "max_norm": float(np.random.choice([3.0, 10.0]))}

class Model(ClassificationModel):
    def init_model(self):
        c = self.config
        network = nn.Sequential(nn.Conv1d(4, c["filters"], c["width"], padding=c["width"] // 2), nn.ReLU(),
                                nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Dropout(c["dropout"]), nn.Linear(c["filters"], 2))
        optimizer = torch.optim.Adam(network.parameters(), lr=c["lr"])
        super().init_model(network, optimizer=optimizer, constraints=[MaxNormConstraint(c["max_norm"])])
