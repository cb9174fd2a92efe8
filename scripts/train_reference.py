#!/usr/bin/env python3
"""Timed fine-tuning steps of Llama-architecture models, for planned-against-measured checks.

Builds each model from a config with random weights (no download: HF_HUB_OFFLINE=1), trains a few
steps on random token ids and records what `gpuscale plan` predicts for the same scenario:

  full fine-tuning  FP32 parameters, AdamW (fused on CUDA), BF16 autocast   (planner: full, amp-bf16)
  LoRA (PEFT)       BF16 base, FP32 adapters (PEFT's default), r=16 on every linear layer of the
                    blocks (q, k, v, o, gate, up, down), AdamW, BF16 autocast (planner: lora, amp-bf16)

each without and with gradient checkpointing (every decoder layer, non-reentrant: planner
`activation_checkpointing full`), at two sequence lengths. One step is zero_grad, forward (the
model's own cross-entropy over the input ids as labels), backward, grad-norm clipping at 1.0 and the
optimizer step; grad_accum 1, one GPU. Per configuration: the architecture, settings, step times
(wall clock around synchronised steps after warm-up), their median, tokens/s
(micro_batch x seq_len / median step) and torch.cuda.max_memory_allocated / max_memory_reserved
since the checked first step (steady state: optimizer states exist; the CUDA context is in neither). The first step is checked: loss
finite, gradient norm finite and non-zero, a parameter with a non-zero gradient changed by the step;
every timed loss must be finite. A configuration that fails a check is recorded as "failed".

Config sets:
  default  Llama 3.2 1B and 3B shapes (random weights), seq_len 1024 (micro-batch 8) and 4096
           (micro-batch 2), 16 configurations; planned at under 90 GB each on a 141 GB H200.
  tiny     a 2-layer toy Llama for the CPU test (memory is not measured on the CPU).

--time-budget-s: no configuration is started when the time left cannot fit it (estimated from the
configurations that finished); one that did not run is recorded as skipped with the reason. CUDA
out-of-memory is recorded as skipped "out of memory" and the run goes on after freeing memory. The
JSON is rewritten atomically after every configuration (pending ones listed as such), so a killed
run keeps what finished.

    python3 scripts/train_reference.py --out train_reference.json --time-budget-s 150
    python3 scripts/train_reference.py --out /tmp/t.json --device cpu --config tiny

Exit status: 0 when at least one configuration ran, 1 when none did, 2 on a setup problem (PyTorch,
transformers or peft missing, no GPU for --device cuda, bad arguments).
"""
import argparse
import datetime
import gc
import json
import math
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time

from atomic_write import write_text_atomic

# Random weights from a config only: never reach a hub (the GPU machine has no network).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

SCHEMA = "gpuscale-train-reference"
SCHEMA_VERSION = 1

# Llama 3.2 1B / 3B shapes (the published configs' sizes); weights are random.
ARCHS = {
    "llama-1b-arch": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                          num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=True),
    "llama-3b-arch": dict(hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
                          num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=True),
    "tiny-llama": dict(hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, vocab_size=512, tie_word_embeddings=True),
}
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LORA_RANK, LORA_ALPHA = 16, 32

CONFIG_SETS = {
    # (models, [(seq_len, micro_batch)], warm-up steps, timed steps)
    "default": (["llama-1b-arch", "llama-3b-arch"], [(1024, 8), (4096, 2)], 2, 5),
    "tiny": (["tiny-llama"], [(32, 2), (64, 2)], 1, 3),
}


class Terminated(Exception):
    pass


class BudgetExceeded(Exception):
    pass


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json_atomic(path, doc):
    write_text_atomic(path, json.dumps(doc, indent=1) + "\n")


def param_count(arch):
    h, f, L, V = arch["hidden_size"], arch["intermediate_size"], arch["num_hidden_layers"], arch["vocab_size"]
    hd = h // arch["num_attention_heads"]
    q, kv = arch["num_attention_heads"] * hd, arch["num_key_value_heads"] * hd
    layer = h * q + 2 * h * kv + q * h + 3 * h * f + 2 * h
    return V * h * (1 if arch["tie_word_embeddings"] else 2) + L * layer + h


def configurations(config_set):
    models, shapes, _, _ = CONFIG_SETS[config_set]
    out = []
    for name in models:
        for method in ("full", "lora"):
            for ckpt in (False, True):
                for seq, mb in shapes:
                    rid = f"{name}/{method}/{'ckpt' if ckpt else 'no-ckpt'}/s{seq}xb{mb}"
                    out.append({"id": rid, "model_name": name, "method": method, "ckpt": ckpt, "seq_len": seq,
                                "micro_batch": mb})
    return out


def git_sha():
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        r = subprocess.run(["git", "-C", here, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                           timeout=10)
        return r.stdout.strip() or None
    except Exception:
        return None


def run_record(c):
    arch = dict(ARCHS[c["model_name"]])
    arch["head_dim"] = arch["hidden_size"] // arch["num_attention_heads"]
    rec = {
        "id": c["id"],
        "status": "pending",
        "reason": None,
        "model": dict(name=c["model_name"], architecture="llama", mlp="gated", norm="rmsnorm",
                      parameters=param_count(ARCHS[c["model_name"]]), **arch),
        "method": c["method"],
        "lora": ({"rank": LORA_RANK, "alpha": LORA_ALPHA, "dropout": 0.0, "targets": LORA_TARGETS}
                 if c["method"] == "lora" else None),
        "gradient_checkpointing": c["ckpt"],
        "seq_len": c["seq_len"],
        "micro_batch": c["micro_batch"],
        "grad_accum": 1,
        "gpus": 1,
    }
    return rec


class Runner:
    def __init__(self, torch, transformers, peft, device, warmup, timed):
        self.torch, self.transformers, self.peft = torch, transformers, peft
        self.dev = torch.device(device)
        self.cuda = self.dev.type == "cuda"
        self.warmup, self.timed = warmup, timed
        self.deadline = None

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def cleanup(self):
        gc.collect()
        if self.cuda:
            self.torch.cuda.empty_cache()

    def build(self, rec):
        torch, transformers = self.torch, self.transformers
        m = rec["model"]
        cfg = transformers.LlamaConfig(
            vocab_size=m["vocab_size"], hidden_size=m["hidden_size"], intermediate_size=m["intermediate_size"],
            num_hidden_layers=m["num_hidden_layers"], num_attention_heads=m["num_attention_heads"],
            num_key_value_heads=m["num_key_value_heads"], tie_word_embeddings=m["tie_word_embeddings"],
            max_position_embeddings=max(4096, rec["seq_len"]), rms_norm_eps=1e-5, attention_dropout=0.0,
            use_cache=False, attn_implementation="sdpa")
        torch.manual_seed(1234)
        with torch.device(self.dev):
            model = transformers.LlamaForCausalLM(cfg)
        if rec["method"] == "lora":
            model = model.to(torch.bfloat16)  # the frozen base in BF16
        if rec["gradient_checkpointing"]:
            # transformers 5.x renamed it; older releases have only the gradient_ name.
            if hasattr(model, "activation_checkpointing_enable"):
                model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            else:
                model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        flag = ("is_activation_checkpointing" if hasattr(model, "is_activation_checkpointing")
                else "is_gradient_checkpointing")
        rec["gradient_checkpointing_active"] = bool(getattr(model, flag, False))
        if rec["method"] == "lora":
            lc = self.peft.LoraConfig(r=LORA_RANK, lora_alpha=LORA_ALPHA, lora_dropout=0.0,
                                      target_modules=list(LORA_TARGETS), bias="none", task_type="CAUSAL_LM")
            model = self.peft.get_peft_model(model, lc)
        model.train()
        return model

    def one_config(self, rec):
        """Runs one configuration; fills rec. Raises torch.OutOfMemoryError through."""
        torch = self.torch
        t_start = time.perf_counter()
        self.cleanup()
        if self.cuda:
            rec["allocated_before_bytes"] = torch.cuda.memory_allocated()
        model = self.build(rec)
        trainable = [p for p in model.parameters() if p.requires_grad]
        n_all = sum(p.numel() for p in model.parameters())
        n_train = sum(p.numel() for p in trainable)
        dtypes = sorted({str(p.dtype).replace("torch.", "") for p in trainable})
        frozen = sorted({str(p.dtype).replace("torch.", "") for p in model.parameters() if not p.requires_grad})
        opt_kwargs = {"lr": 1e-4, "weight_decay": 0.0}
        if self.cuda:
            opt_kwargs["fused"] = True
        opt = torch.optim.AdamW(trainable, **opt_kwargs)
        # Test hook: the CPU test drives the out-of-memory path through this.
        simulate = os.environ.get("GPUSCALE_TRAIN_REFERENCE_SIMULATE_OOM")
        if simulate and simulate in rec["id"]:
            raise torch.OutOfMemoryError("simulated out of memory (GPUSCALE_TRAIN_REFERENCE_SIMULATE_OOM)")
        g = torch.Generator(device=self.dev).manual_seed(4321)
        vocab = rec["model"]["vocab_size"]
        ids = torch.randint(0, vocab, (rec["micro_batch"], rec["seq_len"]), device=self.dev, generator=g)
        if int((ids != 0).sum()) == 0:
            raise RuntimeError("random inputs came out all zeros")
        attn = getattr(getattr(model, "config", None), "_attn_implementation", None)
        if attn is None and hasattr(model, "get_base_model"):
            attn = getattr(model.get_base_model().config, "_attn_implementation", None)
        rec["dtype"] = {"trainable_parameters": dtypes, "frozen_parameters": frozen, "autocast": "bfloat16",
                        "planner_precision": "amp-bf16"}
        rec["attention"] = attn
        rec["trainable_parameters"] = n_train
        rec["total_parameters"] = n_all
        rec["optimizer"] = {"name": "adamw", "implementation": "fused" if self.cuda else "default",
                            "lr": opt_kwargs["lr"], "weight_decay": 0.0, "grad_clip_norm": 1.0}
        rec["inputs"] = "uniform random token ids (seed 4321), labels = input ids"
        build_s = time.perf_counter() - t_start

        def forward_backward():
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device_type=self.dev.type, dtype=torch.bfloat16):
                out = model(input_ids=ids, labels=ids, use_cache=False)
            loss = out.loss
            loss.backward()
            return loss

        def finish_step():
            gn = torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            opt.step()
            return gn

        # First step, checked: loss and gradients, then a parameter with a gradient must change.
        loss = forward_backward()
        loss0 = float(loss.detach().float().item())
        with_grad = [p for p in trainable if p.grad is not None and bool(torch.linalg.vector_norm(p.grad.detach()) > 0)]
        checks = {"first_loss": loss0, "loss_finite": math.isfinite(loss0),
                  "parameters_with_nonzero_grad": len(with_grad), "trainable_tensors": len(trainable)}
        probe = min(with_grad, key=lambda p: p.numel()) if with_grad else None
        before = probe.detach().clone() if probe is not None else None
        gn = float(finish_step())
        checks["first_grad_norm"] = gn
        checks["grad_norm_finite_nonzero"] = math.isfinite(gn) and gn > 0
        checks["parameter_changed"] = bool(probe is not None and not torch.equal(before, probe.detach()))
        del before, with_grad, probe, loss
        self.sync()
        steps_done = 1
        # Memory is measured over the steps after the checked one, in steady state: optimizer states
        # exist, the check's temporaries and the first step's cache are gone.
        if self.cuda:
            self.cleanup()
            torch.cuda.reset_peak_memory_stats()
        for _ in range(max(0, self.warmup - 1)):
            self.check_deadline(rec, steps_done)
            forward_backward()
            finish_step()
            steps_done += 1
        self.sync()
        times, losses = [], []
        for _ in range(self.timed):
            self.check_deadline(rec, steps_done)
            self.sync()
            t0 = time.perf_counter()
            loss = forward_backward()
            finish_step()
            self.sync()
            times.append(time.perf_counter() - t0)
            losses.append(loss.detach())
            steps_done += 1
        loss_values = [float(x.float().item()) for x in losses]
        checks["last_loss"] = loss_values[-1] if loss_values else None
        checks["timed_losses_finite"] = all(math.isfinite(x) for x in loss_values)
        checks["checkpointing_as_requested"] = rec["gradient_checkpointing_active"] == rec["gradient_checkpointing"]
        rec["checks"] = checks
        med = statistics.median(times)
        rec["steps"] = {"warmup": self.warmup, "timed": len(times), "times_s": times}
        rec["step_time_median_s"] = med
        rec["tokens_per_s"] = rec["micro_batch"] * rec["seq_len"] / med
        if self.cuda:
            rec["max_memory_allocated_bytes"] = torch.cuda.max_memory_allocated()
            rec["max_memory_reserved_bytes"] = torch.cuda.max_memory_reserved()
        else:
            rec["max_memory_allocated_bytes"] = None
            rec["max_memory_reserved_bytes"] = None
            rec["memory_note"] = "not measured on the CPU"
        rec["build_s"] = build_s
        failed = [k for k in ("loss_finite", "grad_norm_finite_nonzero", "parameter_changed", "timed_losses_finite",
                                "checkpointing_as_requested")
                  if not checks[k]]
        if failed:
            rec["status"], rec["reason"] = "failed", "check failed: " + ", ".join(failed)
        else:
            rec["status"], rec["reason"] = "ok", None

    def check_deadline(self, rec, steps_done):
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"time budget ran out during the run (after {steps_done} step(s))")


def estimate_s(rec, finished):
    """Wall seconds the configuration is expected to take, from those that finished."""
    same = [r["wall_s"] for r in finished if r["model"]["name"] == rec["model"]["name"]]
    if same:
        return 1.2 * max(same)
    if finished:
        biggest = max(finished, key=lambda r: r["wall_s"])
        return 1.2 * biggest["wall_s"] * rec["model"]["parameters"] / max(1, biggest["model"]["parameters"])
    return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="JSON file to write (rewritten atomically after each configuration)")
    ap.add_argument("--time-budget-s", type=float, default=150.0,
                    help="start no configuration that the time left cannot fit (default 150; counts from start)")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--config", choices=sorted(CONFIG_SETS), default="default", help="configuration set")
    ap.add_argument("--only", default="", help="comma-separated substrings: run only configurations whose id has one")
    ap.add_argument("--warmup-steps", type=int, default=None, help="steps before timing (default: the set's)")
    ap.add_argument("--timed-steps", type=int, default=None, help="timed steps (default: the set's)")
    args = ap.parse_args()
    t0 = time.monotonic()
    if args.time_budget_s <= 0:
        ap.error("--time-budget-s must be positive")
    _, _, warmup, timed = CONFIG_SETS[args.config]
    warmup = warmup if args.warmup_steps is None else args.warmup_steps
    timed = timed if args.timed_steps is None else args.timed_steps
    if warmup < 1 or timed < 1:
        ap.error("--warmup-steps and --timed-steps must be at least 1 (the first step is the checked one)")

    try:
        import torch
        import transformers
        import peft
    except ImportError as e:
        print(f"train_reference: needs torch, transformers and peft: {e}", file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("train_reference: --device cuda but PyTorch sees no usable GPU", file=sys.stderr)
        return 2

    prov = {
        "date_utc": utc_now(),
        "command_line": shlex.join([sys.executable] + sys.argv),
        "hostname": socket.gethostname(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "git_sha": git_sha(),
        "device": args.device,
        "hf_hub_offline": os.environ.get("HF_HUB_OFFLINE"),
    }
    if args.device == "cuda":
        props = torch.cuda.get_device_properties(0)
        prov.update({"gpu": torch.cuda.get_device_name(0), "gpu_memory_bytes": props.total_memory,
                     "cuda": torch.version.cuda,
                     "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
                     "compute_capability": f"{props.major}.{props.minor}"})
    else:
        prov.update({"gpu": None, "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads()})

    wanted = [s for s in args.only.split(",") if s]
    confs = [c for c in configurations(args.config) if not wanted or any(w in c["id"] for w in wanted)]
    runs = [run_record(c) for c in confs]
    doc = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "fixture": False, "config_set": args.config,
           "time_budget_s": args.time_budget_s, "warmup_steps": warmup, "timed_steps": timed,
           "provenance": prov, "runs": runs}
    write_json_atomic(args.out, doc)

    def on_term(signum, frame):
        raise Terminated(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    runner = Runner(torch, transformers, peft, args.device, warmup, timed)
    finished = []
    status = 0
    for i, rec in enumerate(runs):
        elapsed = time.monotonic() - t0
        left = args.time_budget_s - elapsed
        need = estimate_s(rec, finished)
        if left <= 0 or need > left:
            rec["status"] = "skipped"
            rec["reason"] = (f"time budget: {max(left, 0):.0f} s of {args.time_budget_s:.0f} s left, "
                             f"the configuration needs about {need:.0f} s")
            print(f"[{i + 1}/{len(runs)}] {rec['id']}: skipped ({rec['reason']})", flush=True)
            write_json_atomic(args.out, doc)
            continue
        runner.deadline = t0 + args.time_budget_s
        start = time.monotonic()
        oom = None
        try:
            runner.one_config(rec)
        except Terminated as e:
            rec["status"], rec["reason"] = "skipped", str(e)
            for r in runs[i + 1:]:
                r["status"], r["reason"] = "skipped", str(e)
            doc["finished_utc"] = utc_now()
            write_json_atomic(args.out, doc)
            print(f"train_reference: {e}; wrote {args.out}", file=sys.stderr)
            return 143
        except BudgetExceeded as e:
            rec["status"], rec["reason"] = "skipped", str(e)
        except Exception as e:  # torch.OutOfMemoryError (a RuntimeError) or anything else
            if "out of memory" in str(e).lower() or type(e).__name__ == "OutOfMemoryError":
                oom = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
            else:
                rec["status"], rec["reason"] = "failed", f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
        if oom is not None:
            rec["status"], rec["reason"] = "skipped", "out of memory"
            rec["oom_message"] = oom
        runner.cleanup()  # the exception and its frames are gone: free what the configuration held
        rec["wall_s"] = time.monotonic() - start
        if rec["status"] == "ok":
            finished.append(rec)
            mem = (f", max allocated {rec['max_memory_allocated_bytes'] / 1e9:.2f} GB, reserved "
                   f"{rec['max_memory_reserved_bytes'] / 1e9:.2f} GB" if rec["max_memory_allocated_bytes"] else "")
            print(f"[{i + 1}/{len(runs)}] {rec['id']}: {rec['tokens_per_s']:.0f} tokens/s, step "
                  f"{rec['step_time_median_s'] * 1e3:.1f} ms{mem} ({rec['wall_s']:.1f} s)", flush=True)
        else:
            print(f"[{i + 1}/{len(runs)}] {rec['id']}: {rec['status']} ({rec['reason']})", flush=True)
        write_json_atomic(args.out, doc)
    doc["finished_utc"] = utc_now()
    write_json_atomic(args.out, doc)
    ok = sum(r["status"] == "ok" for r in runs)
    print(f"train_reference: {ok} of {len(runs)} configuration(s) ran; wrote {args.out}", flush=True)
    if ok == 0:
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
