#!/usr/bin/env bash
# The GPU figure on a CUDA machine with this repository checked out: installs the project as
# `make install` does, swaps in the GPU builds of onnxruntime (OCR) and faiss where they install
# (keeping the CPU builds where they do not, and saying so), adds CUDA 12's cuBLAS for Whisper
# (CTranslate2), then runs benchmarks/bench_gpu.py under a time limit, printing everything.
# Arguments go to bench_gpu.py; with `--device cpu` no GPU package is installed.
#
#   bash benchmarks/gpu.sh                      # on the GPU
#   bash benchmarks/gpu.sh --device cpu --minutes 1 --vectors 100000
#
# Environment: VENV (default .venv), SKIP_INSTALL=1 (install nothing), BENCH_TIMEOUT (seconds the
# benchmark may run, default 420: its own budget is 300 s).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=$VENV/bin/python
UV=$VENV/bin/uv
say() { echo "gpu.sh: $*"; }

on_gpu=1
previous=""
for arg in "$@"; do
  if [[ $arg == --device=cpu || ($previous == --device && $arg == cpu) ]]; then on_gpu=0; fi
  previous=$arg
done
command -v nvidia-smi >/dev/null && nvidia-smi -L || { say "no nvidia-smi or no GPU it can see"; on_gpu=0; }

# Replace the CPU build $1 by the GPU requirement $2 (package $3); when $2 does not install, put $1 back.
swap() {
  "$UV" pip uninstall --python "$PY" "$1" >/dev/null 2>&1 || true
  if "$UV" pip install --quiet --python "$PY" --reinstall-package "$3" "$2"; then
    say "$2 installed in place of $1"
  else
    say "$2 did not install: keeping $1 (CPU)"
    "$UV" pip install --quiet --python "$PY" --reinstall-package "$1" "$1"
  fi
}

if [[ ${SKIP_INSTALL:-0} != 1 ]]; then
  make install VENV="$VENV"
  make speech || say "flite not installed: the library speaks in tones"
  if [[ $on_gpu == 1 ]]; then
    swap onnxruntime 'onnxruntime-gpu[cuda,cudnn]' onnxruntime-gpu
    swap faiss-cpu faiss-gpu-cu12 faiss-gpu-cu12
    "$UV" pip install --quiet --python "$PY" nvidia-cublas-cu12 || say "no CUDA 12 cuBLAS: Whisper may fall back to the CPU"
  fi
fi

# CUDA and cuDNN libraries of the nvidia-* wheels (CUDA 13 for torch and onnxruntime, 12 for faiss and CTranslate2)
site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for lib in "$site"/nvidia/*/lib; do
  if [[ -d $lib ]]; then LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; fi
done
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}

# The benchmark may borrow the test YAMNet beside the repo, as `make bench` does (the product never reads ../shared).
extra=()
if [[ -f ../shared/models/yamnet/yamnet.tflite && " $* " != *" --audio-model"* ]]; then
  extra=(--audio-model ../shared/models/yamnet/yamnet.tflite)
fi
say "running bench_gpu.py ${extra[*]-} $* (limit ${BENCH_TIMEOUT:-420} s)"
timeout -k 30 "${BENCH_TIMEOUT:-420}" "$PY" -u benchmarks/bench_gpu.py ${extra[@]+"${extra[@]}"} "$@"
