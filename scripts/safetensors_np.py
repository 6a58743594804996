"""safetensors with only numpy and torch (the pip package is not installable here): a reader that checks
the header against the bytes as the spec asks, and an atomic writer whose files are what
safetensors.torch.save_file writes (tensors ordered by item size then name, header padded to 8 bytes)."""
import json
import os
import struct
import tempfile

import numpy as np
import torch

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}
MAX_HEADER = 100_000_000


class FormatError(Exception):
    """A malformed file or one that does not fit the model; the message names what and what was expected."""


def read_safetensors(path):
    """Returns ({name: torch.Tensor}, {metadata}); checks the header against the bytes as the spec asks."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise FormatError(f"{path}: cannot read: {e}")
    if len(data) < 8:
        raise FormatError(f"{path}: {len(data)} bytes; expected at least 8 (a u64 header length)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise FormatError(f"{path}: header length {n} does not fit the {len(data)}-byte file; not safetensors")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FormatError(f"{path}: header is not UTF-8 JSON ({e})")
    if not isinstance(header, dict):
        raise FormatError(f"{path}: header must be a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError(f"{path}: __metadata__ must map strings to strings")
    body = memoryview(data)[8 + n:]
    tensors, spans = {}, []
    for name, e in header.items():
        if not isinstance(e, dict) or e.get("dtype") not in DTYPES or not isinstance(e.get("shape"), list) \
                or not isinstance(e.get("data_offsets"), list) or len(e["data_offsets"]) != 2:
            raise FormatError(f"{path}: tensor {name!r}: expected {{dtype (one of {', '.join(DTYPES)}), shape, data_offsets}}")
        dt = np.dtype(DTYPES[e["dtype"]])
        shape = e["shape"]
        begin, end = e["data_offsets"]
        if not all(isinstance(d, int) and d >= 0 for d in shape + [begin, end]) or end < begin or end > len(body):
            raise FormatError(f"{path}: tensor {name!r}: bad shape {shape} or data_offsets [{begin}, {end}]")
        if (end - begin) != int(np.prod(shape, dtype=np.int64)) * dt.itemsize:
            raise FormatError(f"{path}: tensor {name!r}: shape {shape} of {e['dtype']} does not match its {end - begin} bytes")
        spans.append((begin, end, name))
        tensors[name] = torch.from_numpy(np.frombuffer(body[begin:end], dtype=dt).reshape(shape).copy())
    cursor = 0
    for begin, end, name in sorted(spans):
        if begin != cursor:
            raise FormatError(f"{path}: tensor {name!r} starts at {begin}; expected tensors packed from {cursor}")
        cursor = end
    if cursor != len(body):
        raise FormatError(f"{path}: {len(body) - cursor} bytes after the last tensor belong to none")
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (and string metadata) atomically: a temp file beside path, then a rename."""
    arrays = {k: v.detach().cpu().contiguous().numpy() for k, v in tensors.items()}
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for k in order:
        a = arrays[k]
        if a.dtype not in NAMES:
            raise FormatError(f"tensor {k}: dtype {a.dtype} has no safetensors name")
        header[k] = {"dtype": NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-", suffix=".safetensors")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for k in order:
                f.write(arrays[k].tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
