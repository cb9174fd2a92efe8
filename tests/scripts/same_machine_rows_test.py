#!/usr/bin/env python3
"""ctest scripts.same_machine_rows_current: the same-machine rows of docs/validation.md are
scripts/plan_vs_measured.py's table of a GPU run committed to tests/data/same_machine/
(train_reference.json from scripts/train_reference.py, profile.json from gpuscale calibrate on the
same run, plan_vs_measured.md the table). This re-plans them with the built gpuscale and fails when
the committed table is stale; GPUSCALE_UPDATE_DOCS=1 rewrites it (then regenerate docs/validation.md:
GPUSCALE_UPDATE_DOCS=1 build/.../planner_validation_tests). A fixture never feeds these rows. Until a
GPU run is committed it prints SKIPPED and exits 77.

    python3 tests/scripts/same_machine_rows_test.py --gpuscale build/cli/gpuscale
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PVM = os.path.join(ROOT, "scripts", "plan_vs_measured.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpuscale", required=True)
    ap.add_argument("--dir", default=os.path.join(ROOT, "tests", "data", "same_machine"))
    a = ap.parse_args()
    train = os.path.join(a.dir, "train_reference.json")
    profile = os.path.join(a.dir, "profile.json")
    table = os.path.join(a.dir, "plan_vs_measured.md")
    if not os.path.exists(train):
        print(f"SKIPPED: no same-machine measurement committed yet ({os.path.relpath(train, ROOT)}); "
              "docs/validation.md says there are no same-machine rows")
        return 77
    with open(train) as f:
        doc = json.load(f)
    if doc.get("fixture"):
        print(f"FAIL: {train} is a fixture: same-machine rows come from a measurement only")
        return 1
    if doc.get("provenance", {}).get("device") != "cuda":
        print(f"FAIL: {train} was not measured on a GPU")
        return 1
    if not os.path.exists(profile):
        print(f"FAIL: {train} is committed without the profile it is planned on ({profile})")
        return 1
    r = subprocess.run([sys.executable, PVM, train, "--gpuscale", a.gpuscale, "--profile", profile],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        print(f"FAIL: plan_vs_measured.py exited {r.returncode}: {r.stderr.strip()}")
        return 1
    if os.environ.get("GPUSCALE_UPDATE_DOCS") == "1":
        with open(table, "w") as f:
            f.write(r.stdout)
        print(f"rewrote {table}")
    committed = open(table).read() if os.path.exists(table) else None
    if committed != r.stdout:
        print(f"FAIL: {os.path.relpath(table, ROOT)} is stale (or missing): GPUSCALE_UPDATE_DOCS=1 on this test, then "
              "GPUSCALE_UPDATE_DOCS=1 on planner_validation_tests")
        return 1
    print(f"{os.path.relpath(table, ROOT)} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
