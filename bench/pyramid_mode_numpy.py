"""A practitioner's mode pyramid of a label volume in Python: the peer of
`ryomen pyramid --method mode`.

Reads a Zarr v2 label array (any integer dtype) slab by slab along z with
zarr-python and builds every level of a 2x2x2 mode pyramid of the slab
with numpy, the stand-in for tinybrain's countless/mode downsampling:
each output voxel's 8 inputs are compared pairwise (8x8 equality counts,
one output plane at a time to bound memory) and the first most frequent
value in scan order wins, which is ryomen's rule. Odd edges are not
handled: every level's shape must be even (the benchmark's are). Levels
are written into a Zarr v2 group with the input's chunks. Usage:

    python3 pyramid_mode_numpy.py IN.zarr OUT.zarr LEVELS [CODEC]

CODEC is "none" (default) or "zstd" (numcodecs Zstd level 3).
"""
import sys
import time

import numpy as np
import zarr
from numcodecs import Zstd


def mode_plane(v):
    """v: (n, 8) block values in scan order -> (n,) first most frequent."""
    counts = np.zeros(v.shape, np.uint8)
    for i in range(8):
        for j in range(8):
            counts[:, i] += v[:, i] == v[:, j]
    best = counts.argmax(axis=1)
    return v[np.arange(len(v)), best]


def reduce(a):
    z, y, x = a.shape
    b = a.reshape(z // 2, 2, y // 2, 2, x // 2, 2)
    out = np.empty((z // 2, y // 2, x // 2), a.dtype)
    for k in range(z // 2):
        v = b[k].transpose(1, 3, 0, 2, 4).reshape(-1, 8)
        out[k] = mode_plane(v).reshape(y // 2, x // 2)
    return out


def main():
    src, dst, levels = sys.argv[1], sys.argv[2], int(sys.argv[3])
    comp = Zstd(level=3) if len(sys.argv) > 4 and sys.argv[4] == "zstd" else None
    t0 = time.time()
    a = zarr.open_array(src, mode="r")
    g = zarr.open_group(dst, mode="w")
    outs = []
    shape = a.shape
    for l in range(levels):
        outs.append(g.create_dataset(str(l), shape=shape, chunks=a.chunks, dtype=a.dtype, compressor=comp,
                                     dimension_separator="/"))
        shape = tuple(s // 2 for s in shape)
    slab = 8 * 2 ** (levels - 1)
    for z0 in range(0, a.shape[0], slab):
        cur = a[z0:z0 + slab]
        outs[0][z0:z0 + cur.shape[0]] = cur
        zl = z0
        for l in range(1, levels):
            cur = reduce(cur)
            zl //= 2
            outs[l][zl:zl + cur.shape[0]] = cur
    print(f"{time.time() - t0:.2f}")


if __name__ == "__main__":
    main()
