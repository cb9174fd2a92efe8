#!/usr/bin/env python3
"""Planned against measured: `gpuscale plan` for every configuration scripts/train_reference.py ran.

For each configuration of the train_reference JSON it writes the equivalent plan scenario (the
architecture inline, method, LoRA rank and targets, activation checkpointing, seq_len, micro-batch,
AdamW, amp-bf16, one GPU, the given profile), runs `gpuscale plan --format json` on it, once as is
and once at end-to-end efficiency 1 (the kernel-level rate), and puts both numbers side by side:

  memory     measured torch.cuda.max_memory_allocated against the planner's allocated bytes, and
             max_memory_reserved against its reserved bytes (allocated + allocator reserve); the
             CUDA context is in neither
  tokens/s   measured micro_batch x seq_len / median step against the planner's tokens/s per GPU;
             the implied end-to-end efficiency is measured / kernel-level planned

Errors are planned / measured - 1. A configuration that did not run (out of memory, time budget) is
listed with its reason and the plan (does the planner say it fits?); one the planner refuses is
listed with the planner's message. Nothing is dropped.

    python3 scripts/plan_vs_measured.py train_reference.json --gpuscale build/cli/gpuscale \\
        --profile profile.json --md plan_vs_measured.md [--json plan_vs_measured.json]

The markdown (stdout without --md) is the "same machine" section's body for docs/validation.md.
Exit status: 0 when the table was written, 2 on bad input (unreadable JSON, no gpuscale binary).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import sys

from atomic_write import write_text_atomic

TRAIN_SCHEMA = "gpuscale-train-reference"


def fail(msg):
    print(f"plan_vs_measured: {msg}", file=sys.stderr)
    sys.exit(2)


def scenario_for(run, gpu):
    """The plan scenario of one train_reference configuration."""
    m = run["model"]
    model = {"name": m["name"], "hidden_size": m["hidden_size"], "intermediate_size": m["intermediate_size"],
             "num_hidden_layers": m["num_hidden_layers"], "num_attention_heads": m["num_attention_heads"],
             "num_key_value_heads": m["num_key_value_heads"], "vocab_size": m["vocab_size"],
             "tie_word_embeddings": bool(m["tie_word_embeddings"]), "mlp": m.get("mlp", "gated"),
             "norm": m.get("norm", "rmsnorm")}
    if m.get("head_dim"):
        model["head_dim"] = m["head_dim"]
    s = {"model": model, "method": run["method"], "precision": "amp-bf16", "optimizer": "adamw",
         "seq_len": run["seq_len"], "micro_batch": run["micro_batch"], "grad_accum": run.get("grad_accum", 1),
         "gpu": gpu, "gpus_per_node": 1, "nodes": 1, "sharding": "none",
         "activation_checkpointing": "full" if run["gradient_checkpointing"] else "none",
         # train_reference runs transformers' SDPA attention (FlashAttention kernels for BF16 on the GPU).
         "flash_attention": run.get("attention", "sdpa") in ("sdpa", "flash_attention_2", "flash_attention_3")}
    if run["method"] == "lora":
        s["lora_rank"] = run["lora"]["rank"]
        s["lora_targets"] = list(run["lora"]["targets"])
    return s


def plan(gpuscale, scenario, workdir):
    """(plan JSON, None) or (None, the planner's message)."""
    path = os.path.join(workdir, "scenario.json")
    with open(path, "w") as f:
        json.dump(scenario, f)
    try:
        r = subprocess.run([gpuscale, "plan", "--scenario", "scenario.json", "--format", "json"], cwd=workdir,
                           capture_output=True, text=True, timeout=60)
    except OSError as e:
        fail(f"cannot run {gpuscale}: {e}")
    except subprocess.TimeoutExpired:
        return None, "gpuscale plan did not answer within 60 s"
    if r.returncode != 0:
        msg = (r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}").splitlines()
        return None, " ".join(msg)[:400] + ("" if r.returncode == 2 else f" (exit {r.returncode})")
    try:
        return json.loads(r.stdout), None
    except ValueError as e:
        return None, f"unreadable plan output: {e}"


def err(planned, measured):
    if planned is None or measured is None or not measured or not math.isfinite(planned) or not math.isfinite(measured):
        return None
    return planned / measured - 1


def pct(x):
    return "-" if x is None else f"{x * 100:+.1f}%"


def gb(x):
    if x is None:
        return "-"
    return f"{x / 1e9:.2f} GB" if x >= 1e8 else f"{x / 1e6:.2f} MB"


def tps(x):
    return "-" if x is None else f"{x:.0f}"


def compare(train, gpuscale, profile_arg):
    gpu = os.path.abspath(profile_arg) if os.path.exists(profile_arg) else profile_arg
    on_gpu = train.get("provenance", {}).get("device", "cuda") == "cuda"
    rows = []
    profile_info = None
    with tempfile.TemporaryDirectory(prefix="plan_vs_measured.") as work:
        for run in train.get("runs", []):
            row = {"id": run["id"], "status": run.get("status"), "reason": run.get("reason"),
                   "model": run["model"]["name"], "method": run["method"],
                   "lora_rank": run["lora"]["rank"] if run.get("lora") else None,
                   "activation_checkpointing": "full" if run["gradient_checkpointing"] else "none",
                   "seq_len": run["seq_len"], "micro_batch": run["micro_batch"],
                   "measured": None, "planned": None, "refused": None, "errors": None}
            s = scenario_for(run, gpu)
            row["scenario"] = {k: v for k, v in s.items() if k != "gpu"}
            p, msg = plan(gpuscale, s, work)
            if p is None:
                row["refused"] = msg
            else:
                s1 = dict(s, end_to_end_efficiency=1.0)
                k, _ = plan(gpuscale, s1, work)
                row["planned"] = {
                    "allocated_bytes": p["memory"]["allocated_bytes"],
                    "reserved_bytes": p["memory"]["reserved_bytes"],
                    "per_gpu_bytes": p["memory"]["per_gpu_bytes"],
                    "peak_phase": p["memory"].get("peak_phase"),
                    "fits": p.get("fits"),
                    "tokens_per_s": p["time"]["tokens_per_s_per_gpu"],
                    "kernel_level_tokens_per_s": k["time"]["tokens_per_s_per_gpu"] if k else None,
                    "end_to_end_efficiency": p["time"].get("end_to_end_efficiency"),
                    "warnings": p.get("warnings", []),
                }
                if profile_info is None:
                    profile_info = {"sku": p["gpu"]["sku"], "kind": p["gpu"]["profile"],
                                    "memory_bytes": p["gpu"]["memory_bytes"],
                                    "end_to_end_efficiency": p["time"].get("end_to_end_efficiency")}
            if run.get("status") == "ok":
                meas = {"max_memory_allocated_bytes": run.get("max_memory_allocated_bytes"),
                        "max_memory_reserved_bytes": run.get("max_memory_reserved_bytes"),
                        "tokens_per_s": run.get("tokens_per_s"),
                        "step_time_median_s": run.get("step_time_median_s")}
                row["measured"] = meas
                if row["planned"] and on_gpu:
                    pl = row["planned"]
                    row["errors"] = {
                        "allocated": err(pl["allocated_bytes"], meas["max_memory_allocated_bytes"]),
                        "reserved": err(pl["reserved_bytes"], meas["max_memory_reserved_bytes"]),
                        "tokens_per_s": err(pl["tokens_per_s"], meas["tokens_per_s"]),
                    }
                    if pl["kernel_level_tokens_per_s"] and meas["tokens_per_s"]:
                        row["implied_end_to_end_efficiency"] = meas["tokens_per_s"] / pl["kernel_level_tokens_per_s"]
            rows.append(row)
    summary = {}
    for q in ("allocated", "reserved", "tokens_per_s"):
        v = [r["errors"][q] for r in rows if r["errors"] and r["errors"][q] is not None]
        summary[q] = ({"rows": len(v), "median_abs": statistics.median(abs(x) for x in v),
                       "worst_abs": max(abs(x) for x in v), "median_signed": statistics.median(v)} if v
                      else {"rows": 0})
    return {"fixture": bool(train.get("fixture")), "measured_on": "gpu" if on_gpu else "cpu",
            "train_reference": {"config_set": train.get("config_set"), "provenance": train.get("provenance", {}),
                                "note": train.get("note")},
            "profile": profile_info, "rows": rows, "summary": summary}


def settings(r):
    s = r["method"] + (f" r={r['lora_rank']}" if r["lora_rank"] else "")
    return f"{s}, ckpt {r['activation_checkpointing']}, s={r['seq_len']} b={r['micro_batch']}"


def markdown(res):
    prov = res["train_reference"]["provenance"]
    out = []
    if res["fixture"]:
        out.append("**FIXTURE: the measured numbers below were chosen for a test; they are not a measurement.**\n")
    where = prov.get("gpu") or "the CPU"
    out.append(f"Measured: `scripts/train_reference.py` on {where}, {prov.get('date_utc', 'date not recorded')} "
               f"(torch {prov.get('torch', '?')}, transformers {prov.get('transformers', '?')}, "
               f"peft {prov.get('peft', '?')}; config set `{res['train_reference'].get('config_set')}`). ")
    p = res["profile"]
    if p:
        e = p.get("end_to_end_efficiency")
        out[-1] += (f"Planned: `gpuscale plan` on the profile `{p['sku']}` ({p['kind']}), end-to-end efficiency "
                    f"{e:.3f}.\n" if e is not None else f"Planned: `gpuscale plan` on the profile `{p['sku']}` ({p['kind']}).\n")
    else:
        out[-1] += "Planned: nothing (the planner refused every configuration).\n"
    out.append("Settings: one GPU, grad_accum 1, AdamW, BF16 autocast, transformers' SDPA attention; full "
               "fine-tuning keeps FP32 parameters and gradients (planned as amp-bf16: BF16 weights, FP32 master, "
               "BF16 gradients, the same 16 bytes per parameter of model and optimizer state); LoRA (PEFT) keeps a "
               "BF16 base and FP32 adapters on q, k, v, o, gate, up, down. Memory: `max_memory_allocated` against "
               "the planner's allocated bytes, `max_memory_reserved` against allocated + allocator reserve, over "
               "the steps after the first (neither holds the CUDA context). tokens/s: micro-batch x seq_len / "
               "median step; *kernel level* is the plan at end-to-end efficiency 1, and *implied efficiency* is "
               "measured / kernel level. Errors are planned / measured - 1.\n")
    if res["measured_on"] == "cpu":
        out.append("Measured on the CPU: no memory figures, and tokens/s are not comparable with a GPU profile's "
                   "plan; no error is computed.\n")
    out.append("| quantity | rows | median abs error | worst abs error | median signed error |")
    out.append("|---|---|---|---|---|")
    names = {"allocated": "peak memory, allocated", "reserved": "peak memory, reserved", "tokens_per_s": "tokens/s"}
    for q, name in names.items():
        s = res["summary"][q]
        if s["rows"]:
            out.append(f"| {name} | {s['rows']} | {pct(s['median_abs'])} | {pct(s['worst_abs'])} | "
                       f"{pct(s['median_signed'])} |")
        else:
            out.append(f"| {name} | 0 | - | - | - |")
    out.append("")
    out.append("| run | model | settings | allocated measured | planned | error | reserved measured | planned | "
               "error | tokens/s measured | planned | error | kernel level | implied efficiency | note |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    warnings = []
    for i, r in enumerate(res["rows"], 1):
        m, pl, e = r["measured"] or {}, r["planned"] or {}, r["errors"] or {}
        notes = []
        if r["status"] != "ok":
            notes.append(f"not measured: {r['status']} ({r['reason']})")
        if r["refused"]:
            notes.append(f"planner refused: {r['refused']}")
        if pl:
            if pl.get("fits") is False:
                notes.append("planned: does not fit")
            elif r["status"] != "ok":
                notes.append(f"planned: fits ({gb(pl.get('per_gpu_bytes'))} with the context)")
            warnings.extend((i, w) for w in pl.get("warnings", []))
        ie = r.get("implied_end_to_end_efficiency")
        out.append(f"| {i} | {r['model']} | {settings(r)} | {gb(m.get('max_memory_allocated_bytes'))} | "
                   f"{gb(pl.get('allocated_bytes'))} | {pct(e.get('allocated'))} | "
                   f"{gb(m.get('max_memory_reserved_bytes'))} | {gb(pl.get('reserved_bytes'))} | "
                   f"{pct(e.get('reserved'))} | {tps(m.get('tokens_per_s'))} | {tps(pl.get('tokens_per_s'))} | "
                   f"{pct(e.get('tokens_per_s'))} | {tps(pl.get('kernel_level_tokens_per_s'))} | "
                   f"{'-' if ie is None else f'{ie:.3f}'} | {'; '.join(notes).replace('|', '/') or '-'} |")
    out.append("")
    if warnings:
        out.append("The planner's warnings:\n")
        out.extend(f"- run {i}: {w}" for i, w in warnings)
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train_reference", help="JSON written by scripts/train_reference.py")
    ap.add_argument("--gpuscale", required=True, help="the gpuscale binary")
    ap.add_argument("--profile", required=True, help="GPU profile (gpuscale calibrate's output) or a SKU key")
    ap.add_argument("--md", "--markdown", dest="md", help="markdown file to write (default: print it)")
    ap.add_argument("--json", help="JSON file to write")
    args = ap.parse_args()
    try:
        with open(args.train_reference) as f:
            train = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {args.train_reference}: {e}")
    if not isinstance(train, dict) or train.get("schema") != TRAIN_SCHEMA or not isinstance(train.get("runs"), list):
        fail(f"{args.train_reference} is not a {TRAIN_SCHEMA} document")
    if not (os.path.isfile(args.gpuscale) and os.access(args.gpuscale, os.X_OK)):
        fail(f"no gpuscale binary at {args.gpuscale}")
    gpuscale = os.path.abspath(args.gpuscale)
    res = compare(train, gpuscale, args.profile)
    md = markdown(res)
    if args.md:
        write_text_atomic(args.md, md)
    else:
        sys.stdout.write(md)
    if args.json:
        write_text_atomic(args.json, json.dumps(res, indent=1) + "\n")
    refused = sum(1 for r in res["rows"] if r["refused"])
    measured = sum(1 for r in res["rows"] if r["status"] == "ok")
    print(f"plan_vs_measured: {len(res['rows'])} row(s): {measured} measured, {refused} refused by the planner",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
