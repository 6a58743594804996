"""Image data sets read with numpy as webgpu-vae's readers (src/data/) read them, for the PyTorch
reference (scripts/pytorch_vae.py --data PATH): the same images in the same order, the same test
part, and the same fixed seeded train/test split (src/data/image-set.ts splitIndices) where the data
has none, so both train and evaluate on the very same examples.

Formats, told from the content as ours are: .npy (uint8 or float32, N x H x W or N x H x W x C), .npz
(x_train / y_train, x_test / y_test and the other key pairs of src/data/zip-node.ts), CIFAR-10/100
binary batches (a file, or a folder of data_batch_* and test_batch*), IDX (a file, or a folder of
train-/t10k- files, .gz too), PNG images (a folder: directly in it, no labels; one sub-folder per
class, labels in sorted order), and a folder holding `train` and `test` entries of any of these. PNG is
read by the small decoder below (zlib + the five scanline filters; 8- and 16-bit grey, RGB, palette,
grey + alpha and RGBA; no interlacing), as PIL may be absent. Not read here: JPEG and zips of images.

Pixels: uint8 k is k / 255 in float32 (rounded from the double quotient, as Float32Array does);
float32 arrays are used as they are. Images are N x (H * W * C) rows, HWC interleaved.
"""
import gzip
import os
import struct
import zipfile
import zlib

import numpy as np

from philox_np import philox4x32, seed_key

CIFAR_SIDE, CIFAR_PIXELS = 32, 3072
# src/data/image-set.ts: the split's Philox words and its fixed seed.
SPLIT_STEP, SPLIT_STREAM, DATA_SPLIT_SEED = 0xFFFFFFFE, 0x53504C54, 0
PAIRS = [("x_train", "y_train"), ("train_images", "train_labels"), ("images", "labels"), ("x", "y"),
         ("data", "labels"), ("arr_0", "arr_1")]
TEST_PAIRS = [("x_test", "y_test"), ("test_images", "test_labels")]


class DataError(Exception):
    pass


class Images:
    """count x H x W x C pixels (uint8 or float32), optional labels, where they came from."""

    def __init__(self, pixels, labels, source):
        if pixels.ndim == 3:
            pixels = pixels[..., None]
        if pixels.ndim != 4 or 0 in pixels.shape:
            raise DataError(f"{source}: images of shape {pixels.shape}; expected N x H x W or N x H x W x C")
        self.pixels, self.labels, self.source = pixels, labels, source

    @property
    def shape(self):
        return tuple(int(d) for d in self.pixels.shape[1:])

    def take(self, idx):
        return Images(self.pixels[idx], None if self.labels is None else self.labels[idx], self.source)

    def floats(self):
        """count x (H * W * C) float32 rows: uint8 k as float32(k / 255)."""
        rows = self.pixels.reshape(len(self.pixels), -1)
        if rows.dtype == np.uint8:
            return (rows.astype(np.float64) / 255.0).astype(np.float32)
        return np.ascontiguousarray(rows, dtype=np.float32)


def split_indices(count, fraction, seed=DATA_SPLIT_SEED):
    """src/data/image-set.ts splitIndices: a Philox-driven Fisher-Yates permutation whose first
    max(1, round(N * fraction)) indices are the test part; both parts in source order."""
    if not 0 < fraction < 1:
        raise DataError(f"test fraction {fraction} is invalid; expected a number between 0 and 1 (exclusive)")
    n_test = max(1, int(np.floor(count * fraction + 0.5)))  # Math.round: halves up
    if count - n_test < 1:
        raise DataError(f"{count} images cannot be split into a training and a test part (test fraction {fraction})")
    i = np.arange(count - 1, 0, -1, dtype=np.uint64)
    r0, r1, _, _ = philox4x32(i, np.full_like(i, SPLIT_STEP), np.full_like(i, SPLIT_STREAM), np.zeros_like(i), seed_key(seed))
    # 53 random bits, exactly as the TypeScript: (r0 * 2^21 + (r1 >>> 11)) / 2^53.
    u = (r0.astype(np.float64) * 2097152.0 + (r1 >> np.uint32(11)).astype(np.float64)) / 9007199254740992.0
    order = np.arange(count, dtype=np.int64)
    for n, (k, uk) in enumerate(zip(i.tolist(), u.tolist())):
        j = int(np.floor(uk * (k + 1)))
        order[k], order[j] = order[j], order[k]
    return np.sort(order[n_test:]), np.sort(order[:n_test])


# ---- formats -----------------------------------------------------------------------------------

def _head(path, n=16):
    with open(path, "rb") as f:
        return f.read(n)


def _is_cifar(size, head):
    # ours (src/data/detect.ts) also checks label bytes; a size of whole records is enough here.
    return size > 0 and (size % (CIFAR_PIXELS + 1) == 0 or size % (CIFAR_PIXELS + 2) == 0)


def sniff(path):
    head = _head(path)
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 4 and head[0] == 0 and head[1] == 0 and head[2] == 0x08:
        return "idx-images" if head[3] == 3 else "idx-labels" if head[3] == 1 else "idx"
    if _is_cifar(os.path.getsize(path), head):
        return "cifar"
    return "unknown"


def _check_array(a, source):
    if a.dtype not in (np.uint8, np.float32):
        raise DataError(f"{source}: the array holds {a.dtype}; images must be uint8 or float32")
    if a.ndim not in (3, 4):
        raise DataError(f"{source}: the array's shape is {a.shape}; images must be N x H x W or N x H x W x C")
    return a


def read_npy(path):
    return {"train": Images(_check_array(np.load(path, allow_pickle=False), path), None, path), "test": None,
            "describe": f".npy array {path}"}


def read_npz(path):
    z = np.load(path, allow_pickle=False)
    keys = set(z.files)

    def pair(pairs):
        for x, y in pairs:
            if x in keys:
                return Images(_check_array(z[x], f"{path}:{x}"), z[y].astype(np.uint8) if y in keys else None, path)
        return None
    train = pair(PAIRS)
    if train is None:
        raise DataError(f"{path}: an .npz with arrays {', '.join(sorted(keys))}; expected one images array named "
                        f"{', '.join(p[0] for p in PAIRS)}")
    return {"train": train, "test": pair(TEST_PAIRS), "describe": f".npz arrays {path}"}


def read_idx(path):
    raw = gzip.open(path).read() if _head(path, 2) == b"\x1f\x8b" else open(path, "rb").read()
    if raw[:3] != b"\x00\x00\x08" or raw[3] not in (1, 3):
        raise DataError(f"{path}: not a u8 IDX file (magic {raw[:4].hex()})")
    dims = struct.unpack(">" + "I" * raw[3], raw[4:4 + 4 * raw[3]])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * raw[3])
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: {body.size} data bytes; its header says {' x '.join(map(str, dims))}")
    return body.reshape(dims)


def read_cifar(paths, source):
    raws = [np.fromfile(p, dtype=np.uint8) for p in paths]
    rec = CIFAR_PIXELS + 1 if all(r.size % (CIFAR_PIXELS + 1) == 0 for r in raws) else CIFAR_PIXELS + 2
    recs = np.concatenate([r.reshape(-1, rec) for r in raws])
    labels = recs[:, rec - CIFAR_PIXELS - 1]  # CIFAR-100: the fine label, the second byte
    planes = recs[:, rec - CIFAR_PIXELS:].reshape(-1, 3, CIFAR_SIDE, CIFAR_SIDE)
    return Images(np.ascontiguousarray(planes.transpose(0, 2, 3, 1)), labels.copy(), source)


def read_file(path):
    kind = sniff(path)
    if kind == "npy":
        return read_npy(path)
    if kind == "zip":
        with zipfile.ZipFile(path) as z:
            if not any(n.endswith(".npy") for n in z.namelist()):
                raise DataError(f"{path}: a zip of images; this script reads .npz zips only (unzip it into a folder)")
        return read_npz(path)
    if kind in ("gzip", "idx-images"):
        return {"train": Images(read_idx(path), None, path), "test": None, "describe": f"IDX images {path}"}
    if kind == "cifar":
        return {"train": read_cifar([path], path), "test": None, "describe": f"CIFAR batch {path}"}
    if kind == "png":
        return {"train": Images(decode_png(open(path, "rb").read(), path)[None], None, path), "test": None,
                "describe": f"image {path}"}
    raise DataError(f"{path}: {kind} data; this script reads npy, npz, CIFAR, IDX and PNG")


def _is_test_name(name):
    return "t10k" in name.lower() or "test" in name.lower()


def read_folder(path):
    names = sorted(n for n in os.listdir(path) if not n.startswith("."))
    stem = lambda n: n.rsplit(".", 1)[0] if "." in n else n  # noqa: E731
    train = [n for n in names if stem(n) == "train"]
    test = [n for n in names if stem(n) == "test"]
    if len(train) == 1 and len(test) == 1:
        a, b = read_path(os.path.join(path, train[0])), read_path(os.path.join(path, test[0]))
        return {"train": a["train"], "test": b["train"], "describe": f"{path} (train {train[0]}, test {test[0]})"}
    files = [n for n in names if os.path.isfile(os.path.join(path, n))]
    kinds = {n: sniff(os.path.join(path, n)) for n in files}
    idx = [n for n in files if kinds[n] in ("idx-images", "gzip") and not n.endswith("labels-idx1-ubyte.gz")]
    if idx:
        def part(test):
            found = sorted(n for n in idx if _is_test_name(n) == test and "labels" not in n)
            if not found:
                return None
            labels = os.path.join(path, found[0].replace("images-idx3", "labels-idx1"))
            return Images(read_idx(os.path.join(path, found[0])), read_idx(labels) if os.path.exists(labels) else None, found[0])
        return {"train": part(False), "test": part(True), "describe": f"IDX files in {path}"}
    cifar = [n for n in files if kinds[n] == "cifar"]
    if cifar:
        tr = [os.path.join(path, n) for n in cifar if not _is_test_name(n)]
        te = [os.path.join(path, n) for n in cifar if _is_test_name(n)]
        return {"train": read_cifar(tr, path), "test": read_cifar(te, path) if te else None,
                "describe": f"CIFAR batches in {path}"}
    # PNG images: directly in the folder (no labels) or one folder down (a class per sub-folder).
    items = [(n, os.path.join(path, n)) for n in files if kinds[n] in ("png", "jpeg")]
    for sub in names:
        full = os.path.join(path, sub)
        if os.path.isdir(full):
            items += [(f"{sub}/{n}", os.path.join(full, n)) for n in sorted(os.listdir(full))
                      if not n.startswith(".") and os.path.isfile(os.path.join(full, n))
                      and sniff(os.path.join(full, n)) in ("png", "jpeg")]
    if not items:
        raise DataError(f"{path} holds no data this script reads")
    items.sort(key=lambda it: it[0])
    if any(sniff(p) == "jpeg" for _, p in items):
        raise DataError(f"{path}: JPEG images; this script decodes PNG only")
    decoded = [decode_png(open(p, "rb").read(), p) for _, p in items]
    shapes = {d.shape[:2] for d in decoded}
    if len(shapes) > 1:
        raise DataError(f"{path}: images of different sizes {sorted(shapes)}")
    colour = any(d.shape[2] == 3 for d in decoded)
    pixels = np.stack([np.repeat(d, 3, axis=2) if colour and d.shape[2] == 1 else d for d in decoded])
    nested = [rel for rel, _ in items if "/" in rel]
    labels = None
    if nested:
        if len(nested) != len(items):
            raise DataError(f"{path} holds both images in class folders and images outside any")
        classes = sorted({rel.split("/")[0] for rel, _ in items})
        labels = np.array([classes.index(rel.split("/")[0]) for rel, _ in items], dtype=np.uint8)
    return {"train": Images(pixels, labels, path), "test": None, "describe": f"PNG images in {path}"}


def read_path(path):
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file or folder")
    return read_folder(path) if os.path.isdir(path) else read_file(path)


def load(path, test=None, test_fraction=None, seed=DATA_SPLIT_SEED):
    """(train Images, test Images, description): the test part as our CLI's --test / --test-fraction give it."""
    data = read_path(path)
    if test is not None:
        if test_fraction is not None:
            raise DataError("--test and --test-fraction: give one of them")
        t = read_path(test)["train"]
        return data["train"], t, f"{data['describe']}, test {test}"
    if data["test"] is not None:
        if test_fraction is not None:
            raise DataError(f"--test-fraction: {path} has a test part of its own")
        return data["train"], data["test"], data["describe"]
    f = 0.1 if test_fraction is None else test_fraction
    tr, te = split_indices(len(data["train"].pixels), f, seed)
    return data["train"].take(tr), data["train"].take(te), f"{data['describe']} ({len(tr)} train / {len(te)} test, fraction {f})"


# ---- PNG ---------------------------------------------------------------------------------------

def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def decode_png(data, source="PNG"):
    """H x W x C uint8 (C = 1 grey or 3 RGB; alpha dropped, 16-bit samples rescaled, palettes expanded)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise DataError(f"{source}: not a PNG")
    pos, idat, palette, ihdr = 8, [], None, None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise DataError(f"{source}: no IHDR chunk")
    width, height, depth, colour, _, _, interlace = ihdr
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if samples is None or interlace or depth not in (8, 16) or (colour == 3 and depth != 8):
        raise DataError(f"{source}: PNG colour type {colour}, bit depth {depth}, interlace {interlace}: "
                        f"this script's decoder reads 8/16-bit non-interlaced grey, RGB, palette and alpha")
    bpp = samples * depth // 8
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    if raw.size != height * (stride + 1):
        raise DataError(f"{source}: {raw.size} bytes of image data; expected {height * (stride + 1)}")
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ft, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if ft == 0:
            cur = line
        elif ft == 2:
            cur = (line + prev) & 0xFF
        elif ft in (1, 3, 4):
            # Sub, Average and Paeth depend on the bytes just decoded to their left: byte by byte.
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                c = prev[x - bpp] if x >= bpp else 0
                pred = a if ft == 1 else (a + prev[x]) >> 1 if ft == 3 else int(_paeth(np.int32(a), prev[x], np.int32(c)))
                cur[x] = (line[x] + pred) & 0xFF
        else:
            raise DataError(f"{source}: scanline {y} has filter type {ft}; expected 0 to 4")
        out[y] = cur
        prev = cur
    px = out.reshape(height, width, bpp)
    if depth == 16:
        # Big-endian samples rescaled to 8 bits as pngjs does: floor(v * 255 / 65535 + 0.5).
        v = px[:, :, 0::2] * 256 + px[:, :, 1::2]
        px = np.floor(v * 255.0 / 65535.0 + 0.5)
    px = px.astype(np.uint8)
    if colour == 3:
        px = palette[px[:, :, 0]]
    elif colour in (4, 6):
        px = px[:, :, :-1]  # alpha dropped
    return np.ascontiguousarray(px)
