#!/usr/bin/env bash
# The GPU check (see bench/gpu_check.py): install with the [gpu] extra, then measure.
# Run from the repository root on a machine with an NVIDIA GPU; at most 8 minutes in all.
set -euo pipefail
cd "$(dirname "$0")/.."
deadline=$((SECONDS + 480))
python3 -m venv .venv-gpu
. .venv-gpu/bin/activate
python -m pip install -q --upgrade pip
# torch first and pinned, so nothing pulls another build; then the package with its GPU extra.
python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
python -m pip install -q -e ".[gpu]"
# onnxruntime (CPU) and onnxruntime-gpu install the same module: keep only the GPU build.
python -m pip uninstall -q -y onnxruntime
python -m pip install -q --force-reinstall --no-deps "onnxruntime-gpu>=1.20,<2"
python -c "import onnxruntime as o, torch; print('providers', o.get_available_providers(), 'cuda', torch.cuda.is_available())"
export SYNAPSE_NB_HOME="${SYNAPSE_NB_HOME:-$(mktemp -d)}"
timeout $((deadline - SECONDS)) python -m bench.gpu_check
