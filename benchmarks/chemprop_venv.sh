#!/usr/bin/env bash
# Creates benchmarks/.venv-chemprop: a venv of its own for chemprop, the peer tool of the benchmark.
# chemprop is never a dependency of sol_trainer; benchmarks/chemprop_runner.py calls this venv's CLI.
#
#     bash benchmarks/chemprop_venv.sh
#
# The CPU build of torch goes in first, and stays pinned while chemprop installs, so pip never pulls a CUDA torch.
# Does nothing when the venv already holds the wanted versions.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-chemprop"
python="${PYTHON:-python3}"
torch_spec="torch==2.13.0"  # as in the Makefile: the CPU build that pip finds for this pin
chemprop_spec="chemprop==2.3.1"

installed() {  # true when the venv has the pinned torch and chemprop and its CLI runs
    [ -x "$venv/bin/chemprop" ] && "$venv/bin/python" - "$torch_spec" "$chemprop_spec" <<'EOF' && "$venv/bin/chemprop" --help >/dev/null 2>&1
import sys
from importlib.metadata import version
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    if version(name).split("+")[0] != want: sys.exit(1)  # 2.13.0+cpu satisfies torch==2.13.0
EOF
}

if installed; then
    echo "$venv already has $torch_spec and $chemprop_spec"
    exit 0
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$torch_spec"
pins="$(mktemp)"
trap 'rm -f "$pins"' EXIT
echo "$torch_spec" >"$pins"
"$venv/bin/python" -m pip install -q -c "$pins" "$chemprop_spec" pandas scikit-learn scipy
installed || { echo "chemprop install in $venv is broken: '$venv/bin/chemprop --help' fails" >&2; exit 1; }
echo "installed $torch_spec and $chemprop_spec in $venv"
