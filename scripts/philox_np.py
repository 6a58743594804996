"""Philox4x32-10 in numpy and the fixed seeded binarization of a test set, bit for bit as
src/cpu/philox.ts and src/data/fixed-binarize.ts compute them, so the PyTorch reference evaluates on the
very same binary digits as webgpu-vae (test/data/fixed-binarize-numpy.test.ts compares the two).

Philox4x32-10 (Salmon et al., SC'11): counter (c0, c1, c2, c3), key (k0, k1); ten rounds of
  (c0, c1, c2, c3) <- (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0)),  k += (W0, W1).
Binarization: element n = i + q (i a multiple of 4) is 1 when word q of
Philox((i mod 2^32, 0xffffffff, 5, floor(i / 2^32)), key(seed)) / 2^32 < its value.
"""
import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = np.uint64(0xFFFFFFFF)
# The binarize stream of src/model/init.ts STREAMS and the step word no training step uses.
STREAM_BINARIZE = 5
FIXED_STEP = 0xFFFFFFFF
TEST_BINARIZATION_SEED = 0


def seed_key(seed):
    if not isinstance(seed, int) or seed < 0 or seed >= 2 ** 53:
        raise ValueError(f"seed must be a non-negative integer below 2^53, got {seed!r}")
    return seed & 0xFFFFFFFF, seed >> 32


def philox4x32(c0, c1, c2, c3, key, rounds=10):
    """Vectorised over the counter words (arrays of equal shape, values below 2^32); four uint32 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) & MASK for c in (c0, c1, c2, c3))
    k0, k1 = key
    for _ in range(rounds):
        p0, p1 = M0 * c0, M1 * c2  # exact: both factors are below 2^32
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & MASK,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & MASK)
        k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
    return tuple(c.astype(np.uint32) for c in (c0, c1, c2, c3))


def binarize_fixed(images, seed=TEST_BINARIZATION_SEED):
    """images: float32 array of values in [0, 1], any shape (flattened in C order); a 0/1 float32 copy."""
    x = np.ascontiguousarray(images, dtype=np.float32).reshape(-1)
    i = np.arange(0, x.size, 4, dtype=np.uint64)
    words = philox4x32(i & MASK, np.full_like(i, FIXED_STEP), np.full_like(i, STREAM_BINARIZE), i >> np.uint64(32),
                       seed_key(seed))
    u = np.stack(words, axis=1).reshape(-1)[:x.size].astype(np.float64) / 4294967296.0
    return (u < x.astype(np.float64)).astype(np.float32).reshape(np.shape(images))
