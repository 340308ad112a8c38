#!/usr/bin/env python3
"""Peer benchmark: scipy.ndimage.label on the in-memory mask that
BenchmarkLabel (label_test.go) labels: voxel (z, y, x) is foreground when
a 32-bit hash of its coordinates, masked to 10 bits, is below
1024*density. Prints one JSON line per (density, connectivity): the
median wall and CPU seconds of --repeat calls, MB/s of input (uint8, 1 byte per
voxel, as b.SetBytes counts) and the object count. The mask's generation
is not timed. Needs Debian's python3-numpy and python3-scipy.

usage: label_scipy.py [--shape 256,512,512] [--repeat 3]
"""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.ndimage as ndi


def hash_mask(shape, density):
    z, y, x = (np.arange(n, dtype=np.uint32) for n in shape)
    with np.errstate(over="ignore"):
        h = (z[:, None, None] * np.uint32(0x9E3779B1) + y[None, :, None] * np.uint32(0x85EBCA77)
             + x[None, None, :] * np.uint32(0xC2B2AE3D))
        h ^= h >> np.uint32(15)
        h *= np.uint32(0x2C1B3C6D)
        h ^= h >> np.uint32(12)
    return ((h & np.uint32(1023)) < np.uint32(int(1024 * density))).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="256,512,512")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    shape = tuple(int(v) for v in args.shape.split(","))
    for density in (0.25, 0.5):
        m = hash_mask(shape, density)
        for conn in (1, 3):
            st = ndi.generate_binary_structure(3, conn)
            times, cpus = [], []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                _, n = ndi.label(m, structure=st, output=np.uint32)
                times.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
            sec = sorted(times)[len(times) // 2]
            cpu = sorted(cpus)[len(cpus) // 2]
            print(json.dumps({"tool": "scipy.ndimage.label", "scipy": scipy.__version__, "shape": shape,
                              "density": density, "connectivity": conn, "seconds": round(sec, 4), "cpu_seconds": round(cpu, 4),
                              "MB_per_s": round(m.size / sec / 1e6, 1), "objects": int(n)}))


if __name__ == "__main__":
    main()
