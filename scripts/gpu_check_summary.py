#!/usr/bin/env python3
"""The short table scripts/gpu-check.sh prints last: gpuscale's headline numbers beside PyTorch's,
with the targets the issues set. Reads a gpuscale results document and torch_reference.py's JSON.

    python3 scripts/gpu_check_summary.py results.json torch_reference.json
"""
import json
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"gpu_check_summary: {path}: {e}", file=sys.stderr)
        return None


def axis(bid, name):
    m = re.search(r"/%s:([^/]+)" % re.escape(name), bid)
    return m.group(1) if m else None


def find(doc, pattern):
    """Entries whose id matches the regex, ok ones only."""
    rx = re.compile(pattern)
    return [b for b in doc.get("benchmarks", []) if rx.search(b["id"]) and b["status"] == "ok"]


def largest(entries):
    return max(entries, key=lambda b: int(axis(b["id"], "bytes") or 0), default=None)


def metric(b, name):
    return None if b is None else b.get("metrics", {}).get(name)


def cv(b):
    """The entry's coefficient of variation, or None (an entry without samples has no stats)."""
    return (b or {}).get("stats", {}).get("cv")


def ge(a, b):
    """a >= b, or None when either is unknown."""
    return None if a is None or b is None else a >= b


def row(rows, what, value, unit, reference=None, target=None, ok=None, cv=None):
    rows.append((what, value, unit, reference, target, ok, cv))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    doc = load(sys.argv[1]) or {"benchmarks": []}
    torch = load(sys.argv[2]) or {"mm": [], "copy": []}
    gpu = (doc.get("gpus") or [{}])[0]
    rows = []

    copy = largest(find(doc, r"^memory/copy/.*width:16"))
    if copy:
        size = int(axis(copy["id"], "bytes"))
        bw = metric(copy, "bandwidth_gbps")
        memcpy = next((b for b in find(doc, r"^memory/memcpy/") if int(axis(b["id"], "bytes")) == size), None)
        tcopy = next((c for c in torch.get("copy", []) if c.get("bytes") == size and "bandwidth_gbps" in c), None)
        pct = metric(copy, "pct_of_peak")
        row(rows, f"copy 16B {size >> 20} MiB (GB/s r+w)", bw, "GB/s", None, ">= 93% of datasheet",
            ge(pct, 93), cv(copy))
        if memcpy:
            row(rows, "  vs cudaMemcpyAsync D2D", metric(memcpy, "bandwidth_gbps"), "GB/s", None, "copy >= memcpy",
                ge(bw, metric(memcpy, "bandwidth_gbps")), cv(memcpy))
        if tcopy:
            row(rows, "  vs torch copy_", tcopy["bandwidth_gbps"], "GB/s", None, "copy >= torch",
                ge(bw, tcopy.get("bandwidth_gbps")), tcopy.get("cv"))
    lat = find(doc, r"^memory/latency/")
    for b in sorted(lat, key=lambda b: int(axis(b["id"], "bytes"))):
        row(rows, f"latency {int(axis(b['id'], 'bytes')) >> 10} KiB", metric(b, "latency_ns"), "ns", cv=cv(b))

    for prec, suffix in (("bf16", ""), ("fp16", ""), ("fp8_e4m3", "/fast_accum:on")):
        g = find(doc, r"^gemm/%s/m:8192/n:8192/k:8192%s$" % (prec, suffix))
        t = next((m for m in torch.get("mm", []) if m["precision"] == prec and m["m"] == 8192), None)
        if g:
            tf = metric(g[0], "tflops")
            ok = None if not t else ge(tf, 0.98 * t["tflops"])
            row(rows, f"gemm {prec} 8192^3", tf, "TFLOPS", t and t["tflops"], ">= 0.98x torch" if prec == "bf16" else None,
                ok if prec == "bf16" else None, cv(g[0]))
    for prec, target in (("bf16", 800), ("fp8_e4m3", 1450)):
        m = find(doc, r"^gemm/mamf/precision:%s" % prec)
        if m:
            tf = metric(m[0], "tflops")
            row(rows, f"MAMF {prec}", tf, "TFLOPS", None, f">= {target}", ge(tf, target), cv(m[0]))
    for b in find(doc, r"^compute/"):
        eff = metric(b, "clock_normalised_efficiency_pct")
        rate = metric(b, "tflops") or metric(b, "tops")
        target = ">= 90% clk-norm" if "wgmma" in b["id"] and "bf16" in b["id"] else None
        row(rows, b["id"], rate, "TFLOPS", None, target,
            ge(eff, 90) if target is not None else None, cv(b))
    h2d = largest(find(doc, r"^transfer/h2d/.*memory:pinned.*engine:copy_engine"))
    if h2d:
        bw = metric(h2d, "bandwidth_gbps")
        row(rows, "H2D pinned (copy engine)", bw, "GB/s", None, ">= 50", ge(bw, 50), cv(h2d))
    for b in find(doc, r"^collective/all_reduce/")[-1:]:
        row(rows, b["id"], metric(b, "busbw_gbps"), "busbw GB/s", cv=cv(b))

    counts = {s: sum(1 for b in doc.get("benchmarks", []) if b["status"] == s)
              for s in ("ok", "skipped", "error", "not_run")}
    print(f"\n{gpu.get('name', '?')} ({gpu.get('sku', '?')}), driver {doc.get('system', {}).get('driver_version', '?')}"
          f"; benchmarks ok {counts['ok']}, skipped {counts['skipped']}, error {counts['error']}, "
          f"not run {counts['not_run']}")
    for b in doc.get("run", {}).get("binaries", []):
        if b.get("status", "ok") != "ok":
            print(f"binary {b['name']}: {b.get('status')}: {b.get('reason', '')}")
    print(f"{'measure':44} {'gpuscale':>10} {'unit':>10} {'torch':>9} {'cv %':>6}  target")
    for what, value, unit, ref, target, ok, spread in rows:
        v = "-" if value is None else f"{value:.1f}"
        r = "" if ref is None else f"{ref:.1f}"
        c = "" if spread is None else f"{spread * 100:.2f}"
        verdict = "" if target is None else f"{target}: {'PASS' if ok else ('FAIL' if ok is not None else 'n/a')}"
        print(f"{what[:44]:44} {v:>10} {unit:>10} {r:>9} {c:>6}  {verdict}")
    for e in [b for b in doc.get("benchmarks", []) if b["status"] == "error"][:10]:
        print(f"error: {e['id']}: {e.get('reason', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
