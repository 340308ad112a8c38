#!/usr/bin/env python3
"""Peer benchmark: scipy.ndimage.gaussian_filter over a uint16 volume in
overlapping z slabs, as a practitioner blurs a volume that does not fit
in memory: each slab is read with a margin of the kernel radius, blurred
(mode='reflect', truncate=4.0, float32 output) and its centre kept.
The result equals one gaussian_filter call on the whole volume.

Prints one JSON line: wall and CPU seconds of the slab loop (the volume's
generation is not timed). Needs Debian's python3-numpy and python3-scipy.

usage: gaussian_scipy.py [--shape 512,1024,1024] [--sigma 2] [--slab 64]
"""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.ndimage as ndi


def blur_slabs(vol, sigma, slab):
    r = int(4.0 * sigma + 0.5)
    out = np.empty(vol.shape, np.float32)
    nz = vol.shape[0]
    for z0 in range(0, nz, slab):
        z1 = min(z0 + slab, nz)
        a, b = max(z0 - r, 0), min(z1 + r, nz)
        blk = ndi.gaussian_filter(vol[a:b], sigma, mode="reflect", truncate=4.0, output=np.float32)
        out[z0:z1] = blk[z0 - a:z0 - a + (z1 - z0)]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="512,1024,1024")
    ap.add_argument("--sigma", type=float, default=2.0)
    ap.add_argument("--slab", type=int, default=64)
    ap.add_argument("--check", action="store_true", help="compare with one whole-volume call")
    args = ap.parse_args()
    shape = tuple(int(s) for s in args.shape.split(","))
    vol = np.random.default_rng(0).integers(0, 4096, size=shape, dtype=np.uint16)
    t0, c0 = time.perf_counter(), time.process_time()
    out = blur_slabs(vol, args.sigma, args.slab)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    res = {"impl": "scipy", "scipy": scipy.__version__, "shape": shape, "sigma": args.sigma,
           "slab": args.slab, "bytes": vol.nbytes, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}
    if args.check:
        whole = ndi.gaussian_filter(vol, args.sigma, mode="reflect", truncate=4.0, output=np.float32)
        res["max_abs_diff_vs_whole"] = float(np.max(np.abs(whole - out)))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
