#!/usr/bin/env bash
# Runs the whole optimizer-step benchmark suite and writes the report.
#
#   benchmarks/run.sh [--quick] [--billion]
#
#   --quick    fewer sizes and repetitions (.NET suite: its own quick set; PyTorch: 1K, 100K, 1M)
#   --billion  also run the 1-billion-parameter cases of the .NET suite (needs ~16 GB of memory for Adam;
#              PyTorch is not run at that size: its Adam needs several more temporaries of 4 GB each)
#
# Steps: the .NET suite (benchmarks/OptGen.Benchmarks, Release) -> benchmarks/results/dotnet.json,
#        PyTorch CPU optimizers (benchmarks/pytorch_bench.py)  -> benchmarks/results/pytorch.json,
#        benchmarks/report.py -> benchmarks/results/results.md, speed.png, speed_rules.png.
# Needs the .NET 10 SDK and a python with torch and matplotlib (Debian: /usr/bin/python3 with
# apt-get install python3-torch python3-matplotlib). Override the python with PYTHON=/path/to/python3.
# For stable numbers run it on an otherwise idle machine: the all-threads cases suffer most from other load.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

quick=0

dotnet_flags=()
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1; dotnet_flags+=(--quick) ;;
        --billion) dotnet_flags+=(--billion) ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="benchmarks/results"
PYTHON="${PYTHON:-/usr/bin/python3}"

# ---- check the tools up front, before minutes of benchmarking
missing=0
if ! command -v dotnet >/dev/null 2>&1; then
    echo "run.sh: 'dotnet' is not on PATH; install the .NET 10 SDK (https://dot.net)." >&2
    missing=1
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "run.sh: no python at $PYTHON; set PYTHON=/path/to/python3 (one that has torch and matplotlib)." >&2
    missing=1
else
    if ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
        echo "run.sh: $PYTHON cannot import torch. Install it: apt-get install python3-torch" >&2
        echo "        (or pip install torch for that python, or set PYTHON=/path/to/python3 that has it)." >&2
        missing=1
    fi
    if ! "$PYTHON" -c 'import matplotlib' >/dev/null 2>&1; then
        echo "run.sh: $PYTHON cannot import matplotlib. Install it: apt-get install python3-matplotlib" >&2
        echo "        (or pip install matplotlib for that python)." >&2
        missing=1
    fi
fi
if [ "$missing" -ne 0 ]; then
    echo "run.sh: missing prerequisites (all at once, Debian: apt-get install python3-torch python3-matplotlib)." >&2
    exit 1
fi

mkdir -p "$results"
start=$SECONDS

echo "== [1/3] .NET suite (Release)${dotnet_flags[*]:+ with ${dotnet_flags[*]}}"
dotnet run -c Release --project benchmarks/OptGen.Benchmarks -- suite --out "$results/dotnet.json" \
    ${dotnet_flags[@]+"${dotnet_flags[@]}"}

echo "== [2/3] PyTorch $("$PYTHON" -c 'import torch; print(torch.__version__)') CPU optimizers"
pytorch_flags=()
if [ "$quick" -eq 1 ]; then
    pytorch_flags+=(--sizes 1K,100K,1M --min-time 0.2)
fi
"$PYTHON" benchmarks/pytorch_bench.py --out "$results/pytorch.json" ${pytorch_flags[@]+"${pytorch_flags[@]}"}

echo "== [3/3] report"
"$PYTHON" benchmarks/report.py "$results/dotnet.json" "$results/pytorch.json"

echo
echo "Done in $((SECONDS - start)) s. Results in $root/$results/:"
for f in dotnet.json pytorch.json results.md speed.png speed_rules.png; do
    [ -e "$results/$f" ] && echo "  $results/$f"
done
exit 0
