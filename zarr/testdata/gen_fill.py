#!/usr/bin/python3
"""Writes Zarr v2 arrays whose fill values a float64 cannot hold, with
zarr-python 2.x, plus float16 and bool arrays.

Run: cd zarr/testdata && /usr/bin/python3 gen_fill.py [outdir]   (default fill)
     /usr/bin/python3 gen_fill.py --check DIR     (zarr-python reads DIR's
     arrays, written by the Go test, and compares them with the manifest)
Every array has shape (5, 7) and chunks (2, 3); only the block [0:2, 0:3]
(and for some arrays also [4, 6]) is written, so every other element reads
as the fill value. The manifest <outdir>.json lists each array with its
dtype, the fill value's little-endian bytes in hex, and the bytes of the
whole array as zarr-python reads it (C order, little-endian) in hex.
"""
import json, shutil, sys
import numpy as np
import zarr
from numcodecs import Zstd

I64, U64 = np.iinfo(np.int64), np.iinfo(np.uint64)
f16special = np.array([0.0, -0.0, 1, -2.5, 65504, np.inf, -np.inf, np.nan, 2 ** -24, 2 ** -14], np.float16)
CASES = [
    # name, dtype, fill, block values
    ("i64max", "<i8", int(I64.max), [I64.max - 1, I64.min, 2 ** 53 + 1, -1, 0, 7]),
    ("i64min", "<i8", int(I64.min), [I64.max, 1, 2, 3, 4, 5]),
    ("i53", "<i8", 2 ** 53 + 1, [2 ** 53, 2 ** 53 + 2, 2 ** 53 + 3, 0, 1, 2]),
    ("u64max", "<u8", int(U64.max), [U64.max - 1, 2 ** 63, 2 ** 53 + 1, 0, 1, 2]),
    ("u53", "<u8", 2 ** 53 + 1, [2 ** 53, 2 ** 64 - 2, 3, 0, 1, 2]),
    ("u64max-be", ">u8", int(U64.max), [U64.max - 1, 2 ** 63, 2 ** 53 + 1, 0, 1, 2]),
    ("f2nan", "<f2", float("nan"), f16special[:6]),
    ("f2tenth", "<f2", 0.1, f16special[4:10]),
    ("f2ninf-be", ">f2", float("-inf"), [0.5, 1e-7, -65504, 3.140625, 1000, -0.0]),
    ("btrue", "|b1", True, [False, True, False, False, True, False]),
    ("bfalse", "|b1", False, [True, True, False, True, False, True]),
]


def write(out):
    shutil.rmtree(out, ignore_errors=True)
    zarr.open_group(zarr.DirectoryStore(out), mode="w")
    manifest = []
    for k, (name, dt, fill, block) in enumerate(CASES):
        comp = Zstd(level=1) if k % 2 else None
        z = zarr.create(shape=(5, 7), chunks=(2, 3), dtype=dt, fill_value=fill, compressor=comp,
                        store=zarr.DirectoryStore(out), path=name)
        z[0:2, 0:3] = np.array(block, dtype=dt).reshape(2, 3)
        if k % 3 == 0:
            z[4, 6] = block[0]
        manifest.append(entry(name, z))
    json.dump(manifest, open(out + ".json", "w"), indent=1)


def entry(name, z):
    le = z.dtype.newbyteorder("<")
    return {"path": name, "dtype": z.dtype.str, "compressor": "none" if z.compressor is None else "zstd",
            "fill": np.array(z.fill_value, dtype=le).tobytes().hex(),
            "data": np.ascontiguousarray(z[:], dtype=le).tobytes().hex()}


def check(d, manifest):
    bad = 0
    for m in json.load(open(manifest)):
        z = zarr.open_array(zarr.DirectoryStore(d), path=m["path"], mode="r")
        e = entry(m["path"], z)
        if e["dtype"] != m["dtype"] or e["fill"] != m["fill"] or e["data"] != m["data"]:
            print("MISMATCH", m["path"], e["dtype"], e["fill"], m["fill"])
            bad += 1
    print("ok", bad)


if len(sys.argv) > 2 and sys.argv[1] == "--check":
    check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "fill.json")
else:
    write(sys.argv[1] if len(sys.argv) > 1 else "fill")
