"""Time the README's ten-line recipe (vector inputs, time-bounded search, 5-fold ensemble, prediction) on the bundled
pIC50 data (1017 molecules), as a new user would run it. Prints the seconds of each stage and the out-of-fold RMSE.

    .venv/bin/python benchmarks/readme_recipe.py [--threads 1]
"""
import argparse, json, tempfile, time
from pathlib import Path

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1, help="torch threads")
args = ap.parse_args()
torch.set_num_threads(args.threads)
t0 = time.perf_counter()

import sol_trainer as st
from sol_trainer.featurize import MorganFeaturizer, RDKit2DFeaturizer
from sol_trainer.models import Mlp

root = Path(tempfile.mkdtemp()) / "my_model"
stages, t = {}, time.perf_counter()
data = st.datasets.load_pic50()
fz = [MorganFeaturizer(n_bits=1024, counts=True), RDKit2DFeaturizer()]
df, scalers = st.train.prepare_train(data, fz, root_dir=root, clip=5, progress=False)
stages["prepare"], t = time.perf_counter() - t, time.perf_counter()
hps = st.kfold_search.bayes_search(df, scalers, Mlp, time_budget=20)
stages["search"], t = time.perf_counter() - t, time.perf_counter()
st.train.train_kfold_ensemble(df, Mlp, {}, st.train.TrainConfig(hps=hps, epochs=60, patience=10, progress=False),
                              scaler_dict=scalers, root_dir=root, n_fold=5)
stages["ensemble"], t = time.perf_counter() - t, time.perf_counter()
ensemble = st.load.load_ensemble(root)
y, mean, std, selectors = st.infer.eval_ensemble(ensemble, root, data.head(10))
stages["predict"] = time.perf_counter() - t
oof = json.loads((root / "metadata/oof_metrics.json").read_text())["pIC50"]
print(json.dumps({"molecules": len(data), **{k: round(v, 1) for k, v in stages.items()},
                  "total_with_imports": round(time.perf_counter() - t0, 1), "oof_rmse": round(oof["rmse"], 4)}))
