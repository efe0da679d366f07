"""Reference point for the demo's pIC50 accuracy: a 300-tree random forest on 2048-bit Morgan fingerprints.

Same split as `sol_trainer demo` (80/20 random split of the pIC50 rows, random_state 0).

    .venv/bin/python benchmarks/pic50_baseline.py
"""
import time

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

from sol_trainer.datasets import load_pic50
from sol_trainer.featurize import MorganFeaturizer, featurize

data = load_pic50()
train, test = train_test_split(data, test_size=0.2, random_state=0)
for counts in (False, True):
    fz = MorganFeaturizer(radius=2, n_bits=2048, counts=counts)
    Xtr, Xte = featurize(train.smiles_string, fz, progress=False), featurize(test.smiles_string, fz, progress=False)
    t = time.perf_counter()
    rf = RandomForestRegressor(n_estimators=300, random_state=0, n_jobs=-1).fit(Xtr, train.value)
    pred = rf.predict(Xte)
    print(f"RF300 Morgan2048 {'counts' if counts else 'bits  '}: test RMSE {np.sqrt(mean_squared_error(test.value, pred)):.3f}"
          f"  R2 {r2_score(test.value, pred):.3f}  ({time.perf_counter() - t:.1f} s, {len(train)} train / {len(test)} test)")
