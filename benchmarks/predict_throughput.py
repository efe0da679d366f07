"""Streaming prediction throughput and peak memory of `sol_trainer predict` on large inputs.

The input is made by cycling through the molecules bundled with RDKit (the 1017 pIC50 and 4991 TPSA SMILES, 5909
distinct), so row i holds molecule i mod 5909; every row is predicted for every property of the model. Each size runs
in a fresh process (`predict_table`, chunks of 10,000 rows), which reports its wall time and its peak resident memory.

    .venv/bin/python benchmarks/predict_throughput.py ROOT [--rows 10000 100000] [--threads 2] [--out FILE.json]

`--threads` is the number of featurization workers; torch runs one thread in each process.
"""
import argparse, json, os, subprocess, sys, tempfile
from pathlib import Path

import pandas as pd

from sol_trainer.datasets import load_multitask

CHILD = """
import json, resource, sys, time, torch
torch.set_num_threads(1)  # the cores go to featurization workers, one torch thread each
from sol_trainer.tables import predict_table
start = time.monotonic()
done = predict_table(sys.argv[1], sys.argv[2], sys.argv[3], n_jobs=int(sys.argv[4]), progress=False)
print(json.dumps({"rows": done["rows"], "failed": done["failed"], "seconds": round(time.monotonic() - start, 1),
                  "molecules_per_second": round(done["rows"] / (time.monotonic() - start), 1),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    molecules = load_multitask()["smiles_string"].drop_duplicates().tolist()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in args.rows:
            data = Path(folder) / f"in_{n}.csv"
            pd.DataFrame({"id": range(n), "smiles": [molecules[i % len(molecules)] for i in range(n)]}).to_csv(data, index=False)
            env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
            line = subprocess.run([sys.executable, "-c", CHILD, args.root, str(data), str(Path(folder) / f"out_{n}.csv"), str(args.threads)],
                                  env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            results.append({"input_rows": n, **json.loads(line)})
            print(json.dumps(results[-1]), flush=True)
    if args.out: Path(args.out).write_text(json.dumps(results, indent=1))

if __name__ == "__main__": main()
