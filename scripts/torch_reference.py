#!/usr/bin/env python3
"""PyTorch side-by-side references for scripts/gpu-check.sh, at the sizes gpuscale measures.

- torch.mm in BF16 and FP16 at square sizes (default 4096 and 8192) on random normal data (never
  zeros), FP8 E4M3 through torch._scaled_mm where this PyTorch has it;
- Tensor.copy_ device-to-device at the memory sweep's sizes, counted as read + write.

Timing: CUDA events around each call after warm-up, median of the samples. GB = 1e9 bytes.

    python3 scripts/torch_reference.py --out torch_reference.json
"""
import argparse
import json
import statistics
import sys
import time


def timed(fn, torch, warmup=5, samples=30, min_sample_s=1e-3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    # Batch calls so one sample lasts at least min_sample_s (short copies are launch-bound).
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    stop.record()
    stop.synchronize()
    one = max(start.elapsed_time(stop) / 1e3, 1e-7)
    batch = max(1, min(10000, int(min_sample_s / one + 0.999)))
    times = []
    for _ in range(samples):
        start.record()
        for _ in range(batch):
            fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3 / batch)
    med = statistics.median(times)
    cv = statistics.pstdev(times) / statistics.mean(times) if len(times) > 1 else 0.0
    return med, cv, batch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--mm-sizes", default="4096,8192", help="square matmul sizes")
    ap.add_argument("--copy-mib", default="1,4,16,64,256,1024,4096", help="copy sizes in MiB (one array)")
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:
        print(f"torch_reference: PyTorch is not installed: {e}", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("torch_reference: no usable GPU for PyTorch", file=sys.stderr)
        return 2
    dev = torch.device("cuda")
    out = {"torch_version": torch.__version__, "cuda": torch.version.cuda,
           "gpu": torch.cuda.get_device_name(0), "started_unix": time.time(), "mm": [], "copy": []}
    g = torch.Generator(device=dev).manual_seed(1234)
    for n in [int(s) for s in args.mm_sizes.split(",") if s]:
        for name, dtype in (("bf16", torch.bfloat16), ("fp16", torch.float16)):
            a = torch.randn(n, n, device=dev, dtype=dtype, generator=g)
            b = torch.randn(n, n, device=dev, dtype=dtype, generator=g)
            t, cv, batch = timed(lambda: torch.mm(a, b), torch)
            out["mm"].append({"precision": name, "m": n, "n": n, "k": n, "median_s": t, "cv": cv,
                              "tflops": 2 * n ** 3 / t / 1e12, "batch": batch})
            print(f"torch.mm {name} {n}^3: {2 * n ** 3 / t / 1e12:.1f} TFLOPS (cv {cv * 100:.2f}%)", flush=True)
            del a, b
        if hasattr(torch, "_scaled_mm") and hasattr(torch, "float8_e4m3fn"):
            try:
                a = torch.randn(n, n, device=dev, generator=g).to(torch.float8_e4m3fn)
                b = torch.randn(n, n, device=dev, generator=g).to(torch.float8_e4m3fn).t()  # column-major B
                one = torch.tensor(1.0, device=dev)
                fn = lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                t, cv, batch = timed(fn, torch)
                out["mm"].append({"precision": "fp8_e4m3", "m": n, "n": n, "k": n, "median_s": t, "cv": cv,
                                  "tflops": 2 * n ** 3 / t / 1e12, "batch": batch})
                print(f"torch._scaled_mm fp8_e4m3 {n}^3: {2 * n ** 3 / t / 1e12:.1f} TFLOPS", flush=True)
            except Exception as e:  # an older PyTorch without this signature
                out.setdefault("notes", []).append(f"fp8 _scaled_mm at {n}: {e}")
    free, _ = torch.cuda.mem_get_info()
    for mib in [int(s) for s in args.copy_mib.split(",") if s]:
        nbytes = mib << 20
        if 2 * nbytes + (512 << 20) > free:
            out["copy"].append({"bytes": nbytes, "skipped": "does not fit"})
            continue
        src = torch.randn(nbytes // 4, device=dev, generator=g)
        dst = torch.empty_like(src)
        t, cv, batch = timed(lambda: dst.copy_(src), torch)
        if not torch.equal(dst, src):
            out["copy"].append({"bytes": nbytes, "error": "copy_ output differs from its input"})
            continue
        bw = 2 * nbytes / t / 1e9
        out["copy"].append({"bytes": nbytes, "median_s": t, "cv": cv, "bandwidth_gbps": bw,
                            "counts": "read+write", "batch": batch})
        print(f"copy_ {mib} MiB: {bw:.1f} GB/s (read+write)", flush=True)
        del src, dst
    with open(args.out + ".tmp", "w") as f:
        json.dump(out, f, indent=1)
    import os
    os.replace(args.out + ".tmp", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
