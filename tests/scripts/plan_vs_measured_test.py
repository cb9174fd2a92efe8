#!/usr/bin/env python3
"""ctest scripts.plan_vs_measured_fixture: scripts/plan_vs_measured.py on the committed fixture
(tests/data/train_reference.fixture.json, numbers chosen for this test, not a measurement) with the
built gpuscale and a datasheet profile. Checks that every configuration is a row (measured, skipped
and refused alike), that planned values and errors are finite and are planned / measured - 1, that
the refusal carries the planner's message, that the markdown says FIXTURE and has every row, and
that bad input exits 2. Needs python3 only (no torch).

    python3 tests/scripts/plan_vs_measured_test.py --gpuscale build/cli/gpuscale --workdir /tmp/pvm
"""
import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "scripts", "plan_vs_measured.py")
FIXTURE = os.path.join(ROOT, "tests", "data", "train_reference.fixture.json")

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def run(args, **kw):
    return subprocess.run([sys.executable, SCRIPT] + args, capture_output=True, text=True, timeout=300, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpuscale", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    profile = os.path.join(a.workdir, "h200.profile.json")
    r = subprocess.run([a.gpuscale, "calibrate", "--builtin", "h200-sxm-141gb", "-o", profile],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and os.path.exists(profile), f"datasheet profile written ({r.stderr.strip()})")

    with open(FIXTURE) as f:
        fixture = json.load(f)
    check(fixture.get("fixture") is True, "the fixture says it is one")
    md_path, json_path = os.path.join(a.workdir, "out.md"), os.path.join(a.workdir, "out.json")
    for p in (md_path, json_path):
        if os.path.exists(p):
            os.unlink(p)
    r = run([FIXTURE, "--gpuscale", a.gpuscale, "--profile", profile, "--md", md_path, "--json", json_path])
    check(r.returncode == 0, f"plan_vs_measured exits 0 (stderr: {r.stderr.strip()})")
    if r.returncode != 0:
        return 1
    with open(json_path) as f:
        res = json.load(f)
    with open(md_path) as f:
        md = f.read()

    ids = [x["id"] for x in fixture["runs"]]
    rows = res["rows"]
    check([x["id"] for x in rows] == ids, "one row per configuration, in order, none dropped")
    check(res["fixture"] is True and md.startswith("**FIXTURE"), "the output says FIXTURE")
    check(res["profile"] and res["profile"]["sku"] == "h200-sxm-141gb" and res["profile"]["kind"] == "datasheet",
          "the profile is named with its kind")

    by_id = {x["id"]: x for x in rows}
    fx = {x["id"]: x for x in fixture["runs"]}
    measured_ok = [i for i in ids if fx[i]["status"] == "ok"]
    refused = [x for x in rows if x["refused"]]
    check(len(refused) == 1 and "num_attention_heads" in refused[0]["refused"] and refused[0]["planned"] is None,
          "the configuration the planner refuses is a row with the planner's message")
    for i in measured_ok:
        row = by_id[i]
        if row["refused"]:
            check(row["errors"] is None and row["measured"] is not None, f"{i}: refused, measured kept, no error")
            continue
        pl, m, e = row["planned"], row["measured"], row["errors"]
        finite = all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0
                     for v in (pl["allocated_bytes"], pl["reserved_bytes"], pl["tokens_per_s"],
                               pl["kernel_level_tokens_per_s"]))
        check(finite, f"{i}: planned memory and tokens/s finite and positive")
        check(all(e[q] is not None and math.isfinite(e[q]) for q in ("allocated", "reserved", "tokens_per_s")),
              f"{i}: every error finite")
        check(abs(e["allocated"] - (pl["allocated_bytes"] / m["max_memory_allocated_bytes"] - 1)) < 1e-12 and
              abs(e["reserved"] - (pl["reserved_bytes"] / m["max_memory_reserved_bytes"] - 1)) < 1e-12 and
              abs(e["tokens_per_s"] - (pl["tokens_per_s"] / m["tokens_per_s"] - 1)) < 1e-12,
              f"{i}: errors are planned / measured - 1 (allocated with allocated, reserved with reserved)")
        check(pl["reserved_bytes"] >= pl["allocated_bytes"], f"{i}: planned reserved >= allocated")
        check(0 < row["implied_end_to_end_efficiency"] and
              abs(row["implied_end_to_end_efficiency"] - m["tokens_per_s"] / pl["kernel_level_tokens_per_s"]) < 1e-12,
              f"{i}: implied efficiency = measured / kernel-level plan")
        check(pl["kernel_level_tokens_per_s"] > pl["tokens_per_s"], f"{i}: kernel level above the end-to-end plan")
    for i in ids:
        if fx[i]["status"] != "ok":
            row = by_id[i]
            check(row["measured"] is None and row["errors"] is None and row["planned"] is not None,
                  f"{i}: not measured ({fx[i]['reason']}): planned, no error")
    n_err = sum(1 for x in rows if x["errors"])
    check(all(res["summary"][q]["rows"] == n_err for q in ("allocated", "reserved", "tokens_per_s")),
          "the summary counts every compared row")

    table = [ln for ln in md.splitlines() if ln.startswith("| ") and ln.split("|")[1].strip().isdigit()]
    check(len(table) == len(ids), f"the markdown table has {len(ids)} rows (has {len(table)})")
    for n, ln in enumerate(table, 1):
        check(ln.count("|") == 16 and ln.split("|")[1].strip() == str(n), f"markdown row {n} has 15 cells")
    check("planner refused: gpuscale plan: scenario.json: num_attention_heads" in md, "the refusal is in the markdown")
    check("not measured: skipped (out of memory)" in md, "the out-of-memory row is in the markdown")
    check(a.workdir not in md and "/tmp" not in md, "the markdown holds no temporary paths (deterministic)")
    r2 = run([FIXTURE, "--gpuscale", a.gpuscale, "--profile", profile])
    check(r2.returncode == 0 and r2.stdout == md, "the same input gives the same markdown (stdout without --md)")
    alias = os.path.join(a.workdir, "alias.md")
    r3 = run([FIXTURE, "--gpuscale", a.gpuscale, "--profile", profile, "--markdown", alias])
    check(r3.returncode == 0 and open(alias).read() == md, "--markdown is --md (scripts/gpu-check.sh's spelling)")

    # Bad input: exit 2 with a message, nothing written.
    bad = run([FIXTURE, "--gpuscale", os.path.join(a.workdir, "no-such-gpuscale"), "--profile", profile])
    check(bad.returncode == 2 and "no gpuscale binary" in bad.stderr, "a missing gpuscale binary exits 2")
    other = run([profile, "--gpuscale", a.gpuscale, "--profile", profile])
    check(other.returncode == 2 and "not a gpuscale-train-reference document" in other.stderr,
          "a document of another kind exits 2")

    print(f"{len(failures)} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
