"""A practitioner's mean pyramid in Python: the peer of `ryomen pyramid`.

Reads a Zarr v2 uint8 array slab by slab along z with zarr-python, builds
every level of a 2x2x2 mean pyramid of the slab with numpy (reshape and
mean, the numpy stand-in for tinybrain's averaging, rounded half to even),
and writes each level into a Zarr v2 group with the same chunks. Slabs are
2**(levels-1) x 8 planes thick (128 for 5 levels), so memory stays at a few
slabs while every level of a slab is still a whole number of planes
(zarr-python merges partial chunks itself). Usage:

    python3 pyramid_numpy.py IN.zarr OUT.zarr LEVELS [CODEC]

CODEC is "none" (default) or "zstd" (numcodecs Zstd level 3).
"""
import sys
import time

import numpy as np
import zarr
from numcodecs import Zstd


def reduce(a):
    z, y, x = (s - s % 2 for s in a.shape)
    a = a[:z, :y, :x].astype(np.uint16)
    s = a.reshape(z // 2, 2, y // 2, 2, x // 2, 2).sum(axis=(1, 3, 5))
    return np.round(s / 8).astype(np.uint8)


def main():
    src, dst, levels = sys.argv[1], sys.argv[2], int(sys.argv[3])
    comp = Zstd(level=3) if len(sys.argv) > 4 and sys.argv[4] == "zstd" else None
    t0 = time.time()
    a = zarr.open_array(src, mode="r")
    g = zarr.open_group(dst, mode="w")
    chunks = a.chunks
    outs = []
    shape = a.shape
    for l in range(levels):
        outs.append(g.create_dataset(str(l), shape=shape, chunks=chunks, dtype=a.dtype, compressor=comp,
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
