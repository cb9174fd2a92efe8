#!/usr/bin/env bash
# A rehearsal of scripts/gpu-check.sh on a machine without a GPU: the real gpuscale against
# stand-in bench binaries (tests/cli/standin/standin-bench) that hang, crash, exit 3, write an
# invalid value or leave a grandchild holding stderr; a GPU test binary that hangs; a stand-in
# nvidia-smi. The script must finish inside its budget and bring back a valid results document
# with everything that did finish, in at most six files.
#
#   tests/cli/gpu_check_rehearsal.sh BUILD/cli/gpuscale
set -uo pipefail
gpuscale=$(readlink -f "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
budget=60
T=$(mktemp -d)
trap 'pkill -KILL -f "^sleep (600|3600)$" 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/build/cli" "$T/build/tests" "$T/bin" "$T/path" "$T/out"
ln -s "$gpuscale" "$T/build/cli/gpuscale"
for b in memory compute gemm collectives transfer; do ln -s "$root/tests/cli/standin/standin-bench" "$T/bin/bench_$b"; done
printf '#!/bin/sh\nexec sleep 600\n' > "$T/build/tests/hanging_gpu_tests"
printf '#!/bin/sh\necho "stand-in nvidia-smi (rehearsal: there is no GPU here)"\n' > "$T/path/nvidia-smi"
chmod +x "$T/build/tests/hanging_gpu_tests" "$T/path/nvidia-smi"

fail() { echo "REHEARSAL FAILED: $*"; echo "---- gpu-check.log"; cat "$T/out/gpu-check.log" 2>/dev/null; exit 1; }
t0=$(date +%s)
PATH="$T/path:$PATH" OUT="$T/out" GPUSCALE_CHECK_BUDGET_S=$budget GPUSCALE_BIN_DIR="$T/bin" \
  STANDIN_MEMORY=grandchild STANDIN_COMPUTE=hang STANDIN_GEMM=crash STANDIN_COLLECTIVE=exit3 STANDIN_TRANSFER=invalid \
  bash "$root/scripts/gpu-check.sh" "$T/build" > "$T/console.txt" 2>&1
rc=$?
wall=$(( $(date +%s) - t0 ))
echo "gpu-check: exit $rc after $wall s (budget $budget s)"
[ $rc -ne 0 ] || fail "a run with failures must not exit 0"
# The deadline holds (a few seconds for killing and writing).
[ $wall -le $((budget + 15)) ] || fail "took $wall s, over the $budget s budget"
n=$(find "$T/out" -type f | wc -l)
ls -la "$T/out"
[ "$n" -le 6 ] || fail "$n files under OUT (at most 6 come back)"
[ -s "$T/out/summary.txt" ] || fail "no summary.txt"
"$gpuscale" validate "$T/out/results.json" || fail "results.json is not a valid document"
python3 - "$T/out/results.json" <<'PY' || fail "results.json does not hold what finished"
import json, sys
d = json.load(open(sys.argv[1]))
st = {b["id"]: b["status"] for b in d["benchmarks"]}
want = {
    "memory/standin/n:3": "ok",
    "compute/standin/n:1": "ok", "compute/standin/n:2": "not_run",
    "gemm/standin/n:1": "ok", "gemm/standin/n:2": "not_run",
    "collective/standin/n:2": "ok", "collective/standin/n:3": "not_run",
}
bad = {k: (st.get(k), v) for k, v in want.items() if st.get(k) != v}
# transfer runs only if the budget left room after the hang; when it ran, its bad entry is an error.
if "transfer/standin/n:2" in st and st["transfer/standin/n:2"] not in ("error", "not_run"):
    bad["transfer/standin/n:2"] = (st["transfer/standin/n:2"], "error")
ends = {b["name"]: b.get("status") for b in d["run"]["binaries"]}
if ends.get("bench_compute") != "timed_out": bad["bench_compute"] = (ends.get("bench_compute"), "timed_out")
if ends.get("bench_gemm") not in ("crashed", "not_started"): bad["bench_gemm"] = (ends.get("bench_gemm"), "crashed")
print("binaries:", ends)
if bad:
    print("mismatches (got, want):", bad)
    sys.exit(1)
PY
grep -q "gpuscale calibrate failed" "$T/out/gpu-check.log" || fail "calibrate's failure on the stand-in document was not surfaced"
grep -Eq "TIMEOUT after [0-9]+ s: hanging_gpu_tests|not run \(deadline\): hanging_gpu_tests" "$T/out/gpu-check.log" ||
  fail "the hanging GPU test was neither stopped nor skipped"
echo "rehearsal passed"
