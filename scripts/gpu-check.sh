#!/usr/bin/env bash
# The GPU check: one command on a freshly lent (or rented) GPU machine that always brings results
# back. In this order, each step under `timeout`, the whole script inside its own deadline:
#   1. a library check (ldd) that stops at once, with the reason, when a carried binary can't start;
#   2. the default suite (gpuscale run --backend gpu: no silent fall-back to the host) under a
#      time budget; results.json is rewritten after every binary, so a kill keeps what finished;
#   3. the run fitted into a measured profile (gpuscale calibrate) and one plan from it;
#   4. PyTorch's torch.mm and copy_ at the same sizes (scripts/torch_reference.py);
#   5. the GPU test binaries (label gpu);
#   6. the closed loop: a few training steps of Llama-architecture models in PyTorch
#      (scripts/train_reference.py) planned by gpuscale from the profile of step 3
#      (scripts/plan_vs_measured.py), with whatever time is left.
# At most six files under $OUT, the most useful written first:
#   results.json, summary.txt, profile.json, torch_reference.json, gpu-check.log,
#   train_reference.json (the planned-against-measured table is appended to summary.txt).
# Never changes clocks, power limits or MIG.
#
#   bash scripts/gpu-check.sh [BUILD_DIR]     # BUILD_DIR default: .carry/build, else build/default
#
# Environment: OUT (default out/gpu-check), GPUSCALE_CHECK_BUDGET_S (default 420: the whole
# script), GPUSCALE_BIN_DIR (bench binaries elsewhere than BUILD_DIR/bench/*), PYTHON (default
# python3). BUILD_DIR is built here, or carried from a machine without a GPU
# (scripts/prepare-gpu-carry.sh). scripts/gpu-check-rehearsal.sh runs this against stand-ins.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
budget=${GPUSCALE_CHECK_BUDGET_S:-420}
deadline=$((start + budget))
OUT=${OUT:-out/gpu-check}
mkdir -p "$OUT"
PYTHON=${PYTHON:-python3}
build=${1:-}
if [ -z "$build" ]; then
  if [ -d .carry/build ]; then build=.carry/build; else build=build/default; fi
fi
gpuscale="$build/cli/gpuscale"
log="$OUT/gpu-check.log"
summary="$OUT/summary.txt"
# Working files stay outside $OUT (only six files come back from there).
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
: > "$log"
say() { echo "$@" | tee -a "$log"; }
left() { echo $((deadline - $(date +%s))); }
# A step's limit: at most $1 seconds, and never past the deadline less the time kept for the steps
# after it: $2 seconds of the default 420 s budget, scaled to the budget given. Never negative.
limit() {
  local cap=$1 keep=$(( ${2:-0} * budget / 420 )) l
  l=$(($(left) - keep))
  [ "$l" -gt "$cap" ] && l=$cap
  [ "$l" -lt 0 ] && l=0
  echo "$l"
}
[ -x "$gpuscale" ] || { say "gpu-check: no gpuscale build in $build"; exit 2; }

# Libraries for gpuscale's own processes only (PyTorch keeps this machine's environment): the CUDA
# runtime, cuBLAS and NCCL where this machine has them (the toolkit, or the pip wheels of its
# Python), then the carried ones (.carry/lib: Debian's libbenchmark and GCC runtime) last, so
# that this machine's newer libstdc++/libgcc_s win.
libdirs=()
add_dir() { [ -d "$1" ] && case ":$(IFS=:; echo "${libdirs[*]:-}"):" in *":$1:"*) ;; *) libdirs+=("$1") ;; esac; }
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/*/lib /usr/lib/x86_64-linux-gnu; do add_dir "$d"; done
# The pip wheels' lib folders (nvidia/<package>/lib, nvidia/cu13/lib), found through Python, not
# by searching the whole disk.
while read -r d; do add_dir "$d"; done < <(
  timeout 20 "$PYTHON" - <<'EOF' 2>/dev/null
import glob, os, site, sys
roots = set(site.getsitepackages() + [site.getusersitepackages()])
try:
    import nvidia  # namespace package of the CUDA wheels
    roots.update(os.path.dirname(p) for p in nvidia.__path__)
except Exception:
    pass
for r in sorted(roots):
    for pat in ("nvidia/*/lib", "nvidia/*/lib64"):
        for d in sorted(glob.glob(os.path.join(r, pat))):
            print(d)
EOF
)
# Wheels installed outside this Python (e.g. a venv under /opt): a shallow, named search.
for f in $(find /opt -maxdepth 8 \( -name 'libcublasLt.so.*' -o -name 'libnccl.so.*' \) 2>/dev/null | head -6); do
  add_dir "$(dirname "$f")"
done
[ -d .carry/lib ] && add_dir "$(pwd)/.carry/lib"
GS_LD="$(IFS=:; echo "${libdirs[*]:-}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
gs() { LD_LIBRARY_PATH="$GS_LD" "$@"; }

say "== $(date -u +%FT%TZ) gpu-check on $(hostname), build $build, budget ${budget} s"
say "   $(grep -m1 '^CMAKE_CUDA_ARCHITECTURES' "$build/CMakeCache.txt" 2>/dev/null || echo 'CUDA architectures: unknown')"
say "   gpuscale's library path: $GS_LD"

# 1. Every binary must find its libraries, or nothing below can run: say which, and stop.
bench_bins=()
if [ -n "${GPUSCALE_BIN_DIR:-}" ]; then
  bench_bins=("$GPUSCALE_BIN_DIR"/bench_*)
else
  bench_bins=("$build"/bench/*/bench_*)
fi
test_bins=()
while IFS= read -r t; do test_bins+=("$t"); done < <(find "$build/tests" -type f -name '*gpu*_tests' -perm -u+x 2>/dev/null | sort)
missing=0
for b in "$gpuscale" "${bench_bins[@]}" "${test_bins[@]}"; do
  [ -e "$b" ] || continue
  nf=$(gs ldd "$b" 2>/dev/null | grep 'not found' || true)
  if [ -n "$nf" ]; then
    say "gpu-check: $b cannot start, missing libraries:"
    say "$nf"
    missing=1
  fi
done
if [ $missing -ne 0 ]; then
  say "gpu-check: stopping: rebuild here, or carry the missing libraries in .carry/lib"
  exit 2
fi

timeout 15 nvidia-smi >> "$log" 2>&1 || { say "gpu-check: nvidia-smi failed: no usable GPU (see $log)"; exit 2; }
timeout 15 nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.sm,power.limit,temperature.gpu,ecc.mode.current,mig.mode.current \
  --format=csv 2>&1 | tee -a "$log"

# 2. The suite. Time is kept for the steps after it (profile, references, tests, closed loop).
say "== gpuscale run (default suite, --backend gpu), $(left) s left"
run_budget=$(limit 240 150)
[ "$run_budget" -lt 10 ] && run_budget=10
t0=$(date +%s)
bin_dir=()
[ -n "${GPUSCALE_BIN_DIR:-}" ] && bin_dir=(--bin-dir "$GPUSCALE_BIN_DIR")
gs timeout -k 10 $((run_budget + 20)) "$gpuscale" run --backend gpu -o "$OUT/results.json" --log-dir "$work/logs" \
  --time-budget-s "$run_budget" --timeout-s 150 "${bin_dir[@]}" >> "$log" 2>&1
run_status=$?
say "gpuscale run: exit $run_status in $(( $(date +%s) - t0 )) s"
tail -n 25 "$log" | grep -E '^(gpuscale run|wrote|   )' || true
# The bench binaries' console output goes into the log (one file less under $OUT).
for f in "$work"/logs/*.log; do [ -e "$f" ] && { echo "---- $(basename "$f")"; cat "$f"; } >> "$log"; done
write_summary() {
  timeout 20 "$PYTHON" scripts/gpu_check_summary.py "$OUT/results.json" "$OUT/torch_reference.json" > "$work/summary" 2>> "$log"
  { cat "$work/summary"; [ -s "$work/plan_vs_measured.md" ] && { echo; cat "$work/plan_vs_measured.md"; }; } > "$summary"
}
write_summary

# 3. The run fitted into a measured profile, and one plan from it. A failure is shown, not hidden.
say "== gpuscale calibrate + plan from this run, $(left) s left"
calib_status=1
if [ -s "$OUT/results.json" ]; then
  gs timeout 30 "$gpuscale" calibrate "$OUT/results.json" -o "$OUT/profile.json" >> "$log" 2>&1
  calib_status=$?
  if [ $calib_status -ne 0 ]; then
    say "gpu-check: gpuscale calibrate failed (exit $calib_status):"
    tail -n 5 "$log"
  else
    gs timeout 30 "$gpuscale" plan --model llama-3.1-8b --method lora --seq-len 4096 --micro-batch 4 \
      --gpu "$OUT/profile.json" --tokens 1e8 >> "$log" 2>&1 || say "gpu-check: gpuscale plan from the profile failed (see $log)"
  fi
else
  say "gpu-check: no results document: nothing to calibrate"
fi

# 4. PyTorch references at the same sizes (this machine's environment, not gpuscale's libraries).
say "== PyTorch references, $(left) s left"
l=$(limit 60 120)
if [ "$l" -lt 5 ]; then
  say "gpu-check: PyTorch references not run: ${l} s left for them"
else
  timeout -k 5 "$l" "$PYTHON" scripts/torch_reference.py --out "$OUT/torch_reference.json" >> "$log" 2>&1 ||
    say "gpu-check: torch_reference.py did not finish (exit $?; see $log)"
fi
write_summary

# 5. The GPU test binaries, each under its own limit.
say "== GPU tests, $(left) s left"
export GPUSCALE_BUILD_DIR="$(cd "$build" && pwd)"  # gpu_binaries_tests runs the bench binaries from here
test_status=0
for t in "${test_bins[@]}"; do
  l=$(limit 60 100)
  if [ "$l" -lt 5 ]; then say "  not run (deadline): $(basename "$t")"; test_status=1; continue; fi
  gs timeout -k 5 "$l" "$t" --gtest_brief=1 >> "$log" 2>&1
  rc=$?
  case $rc in
    0) say "  pass: $(basename "$t")" ;;
    124|137) say "  TIMEOUT after $l s: $(basename "$t")"; test_status=1 ;;
    *) say "  FAIL (exit $rc): $(basename "$t")"; test_status=1 ;;
  esac
done

# 6. The closed loop with what is left: measured training steps, planned from this GPU's profile.
say "== closed loop: PyTorch training steps against gpuscale plan, $(left) s left"
train_budget=$(limit 170 25)
if [ "$train_budget" -lt 30 ]; then
  say "gpu-check: closed loop not run: ${train_budget} s left"
elif ! timeout 30 "$PYTHON" -c 'import torch, transformers, peft' >> "$log" 2>&1; then
  say "gpu-check: closed loop not run: torch, transformers or peft cannot be imported"
else
  timeout -k 10 $((train_budget + 10)) "$PYTHON" scripts/train_reference.py --device cuda --config default \
    --time-budget-s "$train_budget" --out "$OUT/train_reference.json" >> "$log" 2>&1 ||
    say "gpu-check: train_reference.py: exit $? (see $log)"
  if [ -s "$OUT/train_reference.json" ] && [ $calib_status -eq 0 ]; then
    LD_LIBRARY_PATH="$GS_LD" timeout 30 "$PYTHON" scripts/plan_vs_measured.py "$OUT/train_reference.json" \
      --gpuscale "$gpuscale" --profile "$OUT/profile.json" --markdown "$work/plan_vs_measured.md" >> "$log" 2>&1 ||
      say "gpu-check: plan_vs_measured.py failed (see $log)"
  fi
fi
write_summary
say "== gpu-check done in $(( $(date +%s) - start )) s (budget $budget s): run exit $run_status, tests $test_status"
cat "$summary"
[ $test_status -eq 0 ] && [ $run_status -eq 0 ]
