#!/usr/bin/env python3
"""ctest scripts.train_reference_cpu_tiny: scripts/train_reference.py --device cpu --config tiny end to
end, then its JSON through scripts/plan_vs_measured.py. Needs PyTorch, transformers and peft; where
they are missing it prints SKIPPED with the reason and exits 77 (ctest SKIP_RETURN_CODE).

The Python that has them: $GPUSCALE_TORCH_PYTHON, else this interpreter.
    GPUSCALE_TORCH_PYTHON=/path/to/venv/bin/python ctest -R train_reference --output-on-failure

Checks: every configuration of the set is recorded; the one driven into the out-of-memory path
(GPUSCALE_TRAIN_REFERENCE_SIMULATE_OOM) is skipped "out of memory" and the run goes on; every other
one ran with finite loss, a non-zero gradient, a changed parameter, positive tokens/s and its
architecture, settings and provenance recorded; a budget too small for anything records every
configuration as skipped with the reason and exits 1; the JSON is the last atomic write (no
temporary files left).
"""
import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TRAIN = os.path.join(ROOT, "scripts", "train_reference.py")
PVM = os.path.join(ROOT, "scripts", "plan_vs_measured.py")
SKIP = 77

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--gpuscale", help="also run plan_vs_measured.py on the output with this binary")
    a = ap.parse_args()
    py = os.environ.get("GPUSCALE_TORCH_PYTHON") or sys.executable
    probe = subprocess.run([py, "-c", "import torch, transformers, peft; print(torch.__version__, "
                                      "transformers.__version__, peft.__version__)"],
                           capture_output=True, text=True, timeout=300)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        print(f"SKIPPED: train_reference.py needs torch, transformers and peft, which {py} lacks ({last}); "
              f"set GPUSCALE_TORCH_PYTHON to a Python that has them")
        return SKIP
    print(f"using {py}: torch, transformers, peft = {probe.stdout.strip()}")
    os.makedirs(a.workdir, exist_ok=True)
    out = os.path.join(a.workdir, "tiny.json")
    if os.path.exists(out):
        os.unlink(out)
    env = dict(os.environ, GPUSCALE_TRAIN_REFERENCE_SIMULATE_OOM="lora/ckpt/s64")
    r = subprocess.run([py, TRAIN, "--out", out, "--device", "cpu", "--config", "tiny", "--time-budget-s", "600"],
                       capture_output=True, text=True, timeout=900, env=env)
    print(r.stdout)
    check(r.returncode == 0, f"train_reference exits 0 (stderr tail: {r.stderr.strip()[-500:]})")
    if not os.path.exists(out):
        check(False, "the JSON was written")
        return 1
    with open(out) as f:
        doc = json.load(f)
    check(doc["schema"] == "gpuscale-train-reference" and doc["schema_version"] == 1, "schema and version")
    check(doc["fixture"] is False and doc["config_set"] == "tiny", "a measurement of the tiny set, not a fixture")
    prov = doc["provenance"]
    check(all(prov.get(k) for k in ("date_utc", "command_line", "torch", "transformers", "peft", "python")),
          "provenance: date, command line, versions")
    check(prov["device"] == "cpu" and prov["hf_hub_offline"] == "1", "device cpu, hub offline")
    runs = doc["runs"]
    check(len(runs) == 8, f"8 configurations recorded (2 methods x 2 checkpointing x 2 lengths), got {len(runs)}")
    ids = {x["id"] for x in runs}
    check(len(ids) == len(runs), "configuration ids are unique")
    check({(x["method"], x["gradient_checkpointing"], x["seq_len"]) for x in runs} ==
          {(m, c, s) for m in ("full", "lora") for c in (False, True) for s in (32, 64)},
          "full and LoRA, with and without checkpointing, at both lengths")
    for x in runs:
        rid = x["id"]
        if "lora/ckpt/s64" in rid:
            check(x["status"] == "skipped" and x["reason"] == "out of memory", f"{rid}: skipped, out of memory")
            continue
        check(x["status"] == "ok", f"{rid}: ran ({x['status']}: {x['reason']})")
        if x["status"] != "ok":
            continue
        c = x["checks"]
        check(c["loss_finite"] and math.isfinite(c["first_loss"]) and c["timed_losses_finite"], f"{rid}: loss finite")
        check(c["grad_norm_finite_nonzero"] and c["first_grad_norm"] > 0 and c["parameters_with_nonzero_grad"] > 0,
              f"{rid}: gradients non-zero")
        check(c["parameter_changed"], f"{rid}: a parameter changed after the step")
        check(x["gradient_checkpointing_active"] == x["gradient_checkpointing"], f"{rid}: checkpointing as asked")
        check(x["tokens_per_s"] > 0 and math.isfinite(x["tokens_per_s"]) and
              abs(x["tokens_per_s"] - x["micro_batch"] * x["seq_len"] / x["step_time_median_s"]) < 1e-6 * x["tokens_per_s"],
              f"{rid}: tokens/s = micro_batch x seq_len / median step")
        check(len(x["steps"]["times_s"]) == doc["timed_steps"] and all(t > 0 for t in x["steps"]["times_s"]),
              f"{rid}: every timed step recorded")
        m = x["model"]
        check(all(isinstance(m.get(k), int) and m[k] > 0 for k in
                  ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                   "intermediate_size", "vocab_size")), f"{rid}: architecture recorded")
        check(x["total_parameters"] == (m["parameters"] + (0 if x["method"] == "full" else x["trainable_parameters"])),
              f"{rid}: parameter count matches the architecture")
        check(x["max_memory_allocated_bytes"] is None and x["memory_note"], f"{rid}: no memory figure on the CPU")
        if x["method"] == "lora":
            check(x["lora"]["rank"] == 16 and len(x["lora"]["targets"]) == 7 and
                  x["dtype"]["trainable_parameters"] == ["float32"] and x["dtype"]["frozen_parameters"] == ["bfloat16"],
                  f"{rid}: LoRA r=16 on 7 linears, FP32 adapters on a BF16 base")
        else:
            check(x["trainable_parameters"] == m["parameters"] and x["dtype"]["trainable_parameters"] == ["float32"],
                  f"{rid}: full fine-tuning trains every FP32 parameter")
    left = [f for f in os.listdir(a.workdir) if f.startswith(".train_reference.")]
    check(not left, f"no temporary files left ({left})")

    # A budget nothing fits in: every configuration skipped with the reason, exit 1.
    out2 = os.path.join(a.workdir, "budget.json")
    r = subprocess.run([py, TRAIN, "--out", out2, "--device", "cpu", "--config", "tiny", "--time-budget-s", "0.001",
                        "--only", "full/no-ckpt"], capture_output=True, text=True, timeout=600)
    ok2 = os.path.exists(out2)
    doc2 = json.load(open(out2)) if ok2 else {"runs": []}
    check(r.returncode == 1 and len(doc2["runs"]) == 2 and
          all(x["status"] == "skipped" and x["reason"].startswith("time budget") for x in doc2["runs"]),
          "an exhausted budget skips every configuration with the reason and exits 1")

    if a.gpuscale:
        md = os.path.join(a.workdir, "tiny.plan_vs_measured.md")
        r = subprocess.run([sys.executable, PVM, out, "--gpuscale", a.gpuscale, "--profile", "h200-sxm-141gb",
                            "--md", md], capture_output=True, text=True, timeout=300)
        text = open(md).read() if os.path.exists(md) else ""
        check(r.returncode == 0 and "Measured on the CPU" in text and
              sum(1 for ln in text.splitlines() if ln.startswith("| ") and ln.split("|")[1].strip().isdigit()) == 8,
              f"plan_vs_measured takes the output: 8 rows, marked as measured on the CPU ({r.stderr.strip()})")

    print(f"{len(failures)} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
