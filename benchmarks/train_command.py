"""Wall time per stage and peak memory of `sol_trainer train` on the bundled TPSA set (4991 molecules), as a user runs it.

The bundled TPSA values are written as a wide CSV (`smiles`, `TPSA`); the command runs in a child process with its
defaults (recipe, search, 5 folds, 1 featurization worker) and torch on the cores it finds. The stages come from the
report the command writes next to the root; the peak is the child's largest resident set.

    .venv/bin/python benchmarks/train_command.py [--recipe vector|graph|auto] [--rows N] [--out FILE.json]
        [-- EXTRA TRAIN OPTIONS]

With `--recipe auto` and no `--time-budget`, it checks the default budget: 1,000 rows (`--rows 1000`, a random sample,
seed 0) must train within 3 minutes and all 4,991 within 10 minutes on 2 cores.
"""
import argparse, json, resource, subprocess, sys, tempfile, time
from pathlib import Path

from sol_trainer.datasets import load_tpsa

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="vector")
    ap.add_argument("--rows", type=int, default=None, help="a random sample of this many rows (default: all)")
    ap.add_argument("--out", default=None)
    ap.add_argument("extra", nargs="*", help="more options of sol_trainer train")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "tpsa.csv"
        data = load_tpsa() if args.rows is None else load_tpsa().sample(args.rows, random_state=0)
        data.rename(columns={"smiles_string": "smiles", "value": "TPSA"})[["smiles", "TPSA"]].to_csv(table, index=False)
        root = Path(folder) / "tpsa_model"
        command = [str(Path(sys.executable).with_name("sol_trainer")), "train", str(table), str(root), "--target-columns", "TPSA",
                   "--recipe", args.recipe, *args.extra]
        start = time.monotonic()
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        seconds = time.monotonic() - start
        report = json.loads(root.with_name(f"{root.name}_report.json").read_text())
    result = {"recipe": args.recipe, "rows": report["rows"], "command_seconds": round(seconds, 1), "stages": report["seconds"],
              "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1), "oof": report["oof"]}
    print(json.dumps(result))
    if args.out: Path(args.out).write_text(json.dumps(result, indent=1))

if __name__ == "__main__": main()
