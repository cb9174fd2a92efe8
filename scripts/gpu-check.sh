#!/usr/bin/env bash
# On a GPU machine: runs the GPU tests, the default suite (gpuscale run) and PyTorch's torch.mm
# and copy_ at the same sizes, fits the run into a measured profile (gpuscale calibrate), writes
# the results document, the profile and logs under $OUT, and prints a short table last
# (scripts/gpu_check_summary.py). Never changes clocks, power limits or MIG.
#
#   bash scripts/gpu-check.sh [BUILD_DIR]     # BUILD_DIR default: .carry/build, else build/default
#
# BUILD_DIR is built here, or carried from a machine without a GPU (scripts/prepare-gpu-carry.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/gpu-check}
mkdir -p "$OUT"
build=${1:-}
if [ -z "$build" ]; then
  if [ -d .carry/build ]; then build=.carry/build; else build=build/default; fi
fi
[ -x "$build/calibrate/gpuscale" ] || { echo "gpu-check: no gpuscale build in $build" >&2; exit 2; }
log="$OUT/gpu-check.log"
: > "$log"
say() { echo "$@" | tee -a "$log"; }

# Libraries the carried build links against: Debian's libbenchmark from .carry/lib, cuBLAS and
# NCCL wherever this machine has them (toolkit or pip wheels).
libdirs=".carry/lib"
for pat in 'libcublasLt.so*' 'libnccl.so*' 'libcudart.so*'; do
  for f in $(find /usr /opt /lib /root /home -name "$pat" 2>/dev/null | grep -v stubs | head -5); do
    libdirs="$libdirs:$(dirname "$f")"
  done
done
export LD_LIBRARY_PATH="$libdirs:${LD_LIBRARY_PATH:-}"

say "== $(date -u +%FT%TZ) gpu-check on $(hostname), build $build ($(cat "$build/CMakeCache.txt" 2>/dev/null | grep -m1 '^CMAKE_CUDA_ARCHITECTURES' || true))"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || { say "gpu-check: nvidia-smi failed: no usable GPU"; cat "$OUT/nvidia-smi.txt"; exit 2; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.sm,power.limit,temperature.gpu,ecc.mode.current \
  --format=csv | tee -a "$log"

# The GPU test binaries (label gpu); the host tests run in CI, and the CLI tests' paths are the
# build machine's.
say "== GPU tests"
export GPUSCALE_BUILD_DIR="$(cd "$build" && pwd)"  # gpu_binaries_tests runs the bench binaries from here
test_status=0
for t in $(find "$build/tests" -type f -name '*gpu*_tests' -perm -u+x | sort); do
  if "$t" --gtest_brief=1 >> "$log" 2>&1; then say "  pass: $(basename "$t")"; else say "  FAIL: $(basename "$t")"; test_status=1; fi
done

say "== gpuscale run (default suite)"
start=$(date +%s)
"$build/calibrate/gpuscale" run -o "$OUT/results.json" --log-dir "$OUT/logs" --timeout-s 240 2> >(tee -a "$log" >&2) | tee -a "$log"
run_status=${PIPESTATUS[0]}
say "gpuscale run: exit $run_status in $(( $(date +%s) - start )) s"
# $OUT keeps at most two folder levels for the trip back: flatten the logs into one file.
cat "$OUT"/logs/*.log > "$OUT/bench-console.log" 2>/dev/null && rm -rf "$OUT/logs"

# The run fitted into a measured profile, and one plan from it (into the log): the first measured
# profile the project gets comes out of the first GPU check.
say "== gpuscale calibrate + plan from this run"
if [ -s "$OUT/results.json" ]; then
  "$build/calibrate/gpuscale" calibrate "$OUT/results.json" -o "$OUT/profile.json" 2>&1 | tee -a "$log"
  [ -s "$OUT/profile.json" ] && "$build/calibrate/gpuscale" plan --model llama-3.1-8b --method lora --seq-len 4096 \
    --micro-batch 4 --gpu "$OUT/profile.json" --tokens 1e8 >> "$log" 2>&1
fi

say "== PyTorch references"
python3 scripts/torch_reference.py --out "$OUT/torch_reference.json" 2>&1 | tee -a "$log"

python3 scripts/gpu_check_summary.py "$OUT/results.json" "$OUT/torch_reference.json" | tee "$OUT/summary.txt"
[ $test_status -eq 0 ] && [ $run_status -eq 0 ]
