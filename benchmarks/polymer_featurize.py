"""How fast repeat units are keyed and featurized: RadonPy's 1,077 units through `prepare_train`, per recipe.

Each measurement runs in a fresh process (nothing remembered from another), on the RadonPy density rows of the bundled
set: first the canonical keying alone (`canonical_column`), then all of `prepare_train` (check, key, featurize, scale)
with each `auto` candidate's featurizers. Reported: seconds and repeat units per second, with `--jobs` workers.

Side by side with an older commit (the package importable from another checkout):

    git worktree add /tmp/base COMMIT
    .venv/bin/python benchmarks/polymer_featurize.py --jobs 1 2 --base /tmp/base [--out FILE]

Measured 2026-12-07 against 155f95a, alternately, 2 cores, nothing else running
(`benchmarks/results/polymer_featurize.json`), repeat units per second, one process / two workers:
canonical keying 739 / 736 (was 369 / 365); `prepare_train` with the graph recipe's featurizers 236 / 128 (was 175 /
115), descriptors 109 / 150 (85 / 109), vector 120 / 131 (88 / 100), graph + descriptors 97 / 97 (77 / 83). Two
workers are slower than one for graphs at this size: the graphs travel back from the workers one object at a time.
"""
import argparse, json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STAGE = """
import json, sys, time
import sol_trainer
from sol_trainer.datasets import load_radonpy
from sol_trainer.polymers import canonical_column
from sol_trainer.prepare import prepare_train
from sol_trainer.recipes import RECIPES
stage, jobs = sys.argv[1], int(sys.argv[2])
df = load_radonpy(["density"])
start = time.perf_counter()
if stage == "canonical":
    try: canonical_column(df["smiles_string"], n_jobs=jobs)
    except TypeError: canonical_column(df["smiles_string"])  # older commits key in this process only
else: prepare_train(df, RECIPES[stage]().make_featurizers(), n_jobs=jobs, progress=False)
print(json.dumps({"seconds": time.perf_counter() - start, "units": int(df["smiles_string"].nunique()),
                  "package": sol_trainer.__file__}))
"""


def measure(package: Path, stage: str, jobs: int) -> dict:
    "Seconds and units/s of one stage, in a fresh process importing sol_trainer from `package`."
    env = {**os.environ, "PYTHONPATH": str(package)}
    out = subprocess.run([sys.executable, "-c", STAGE, stage, str(jobs)], env=env, check=True, cwd=package,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    found = json.loads(out)
    assert found["package"].startswith(str(package)), f"measured {found['package']}, not {package}"
    return {"seconds": round(found["seconds"], 2), "units_per_s": round(found["units"] / found["seconds"], 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--stages", nargs="+", default=["canonical", "graph", "descriptors", "vector", "graph_descriptors"])
    ap.add_argument("--base", type=Path, help="a checkout of an older commit, measured alternately with this one")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    trees = {"this": ROOT} | ({"base": args.base.resolve()} if args.base else {})
    results = []
    for stage in args.stages:
        for jobs in args.jobs:
            row = {"stage": stage, "jobs": jobs}
            for name, tree in trees.items(): row[name] = measure(tree, stage, jobs)
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.out: args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
