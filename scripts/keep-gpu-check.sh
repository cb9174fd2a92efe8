#!/usr/bin/env bash
# After a GPU check: files what it brought back where the project keeps it, unchanged (the
# measured documents are never edited), ready to commit:
#   results/reference/<sku>-<date>.json            the results document
#   results/reference/<sku>-<date>.profile.json    the profile gpuscale calibrate fitted from it
#   results/reference/<sku>-<date>.torch.json      PyTorch's torch.mm / copy_ beside it
#   results/reference/<sku>-<date>.summary.txt     the summary table
#   tests/data/same_machine/{train_reference,profile}.json   the closed loop's measurement, for the
#                                                  same-machine rows of docs/validation.md
#
#   bash scripts/keep-gpu-check.sh OUT_DIR        # the folder gpu-check.sh wrote ($OUT)
# Then: the same-machine table and docs (printed at the end), git add, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:?usage: keep-gpu-check.sh OUT_DIR}
[ -s "$src/results.json" ] || { echo "keep-gpu-check: no results.json in $src" >&2; exit 2; }
read -r sku day < <(python3 - "$src/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if d["run"]["backend"] != "gpu" or not d.get("gpus"):
    sys.exit("keep-gpu-check: %s is not a GPU run (backend %s): not a reference" % (sys.argv[1], d["run"]["backend"]))
print(d["gpus"][0]["sku"], d["run"]["started_utc"][:10])
PY
)
base="results/reference/${sku}-${day}"
mkdir -p results/reference
cp "$src/results.json" "$base.json"
[ -s "$src/profile.json" ] && cp "$src/profile.json" "$base.profile.json"
[ -s "$src/torch_reference.json" ] && cp "$src/torch_reference.json" "$base.torch.json"
[ -s "$src/summary.txt" ] && cp "$src/summary.txt" "$base.summary.txt"
if [ -s "$src/train_reference.json" ] && [ -s "$src/profile.json" ]; then
  mkdir -p tests/data/same_machine
  cp "$src/train_reference.json" tests/data/same_machine/train_reference.json
  cp "$src/profile.json" tests/data/same_machine/profile.json
  echo "same-machine rows: GPUSCALE_UPDATE_DOCS=1 python3 tests/scripts/same_machine_rows_test.py --gpuscale build/default/cli/gpuscale"
  echo "                   then GPUSCALE_UPDATE_DOCS=1 build/default/tests/planner/planner_validation_tests"
fi
ls -la "$base".* tests/data/same_machine 2>/dev/null || true
