#!/usr/bin/python3
"""Writes the Zarr v2 fixtures under testdata/v2 with zarr-python 2.x.

Run: cd zarr/testdata && /usr/bin/python3 gen_v2.py [outdir]
Every array has shape (5, 7), chunks (2, 3) and element i (C order) equal
to value(i) below; zarr_test.go computes the same values. The manifest
lists each array with its dtype, order, separator and compressor.
"""
import json, os, shutil, sys
import numpy as np
import zarr
from numcodecs import Blosc, Zstd, GZip, Zlib, LZ4

DTYPES = ['|u1', '<u2', '<u4', '<u8', '|i1', '<i2', '<i4', '<i8', '<f4', '<f8', '>u2', '>f8']
COMPS = [('none', None), ('zstd', Zstd(level=3)), ('gzip', GZip(level=5)), ('zlib', Zlib(level=5)), ('lz4', LZ4(acceleration=1))]
for cn in ['lz4', 'zstd', 'zlib']:
    for sh in [0, 1, 2]:
        COMPS.append(('blosc-%s-%d' % (cn, sh), Blosc(cname=cn, clevel=5, shuffle=sh)))


def values(dtype):
    i = np.arange(35, dtype=np.float64)
    dt = np.dtype(dtype)
    if dt.kind == 'f':
        v = (i % 97) * 0.25 - 3
    elif dt.kind == 'i':
        v = (i % 97) - 20
    else:
        v = i % 97 + 1
    return v.reshape(5, 7).astype(dt)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'v2'
    shutil.rmtree(out, ignore_errors=True)
    root = zarr.open_group(zarr.DirectoryStore(out), mode='w')
    manifest = []

    def add(name, dtype, order, sep, comp, fill=0, partial=False):
        st = zarr.DirectoryStore(out, dimension_separator=sep)
        z = zarr.create(shape=(5, 7), chunks=(2, 3), dtype=dtype, order=order, compressor=comp[1],
                        fill_value=fill, store=st, path=name, dimension_separator=sep)
        if partial:
            z[0:2, 0:3] = values(dtype)[0:2, 0:3]
        else:
            z[:] = values(dtype)
        manifest.append({'path': name, 'dtype': dtype, 'order': order, 'sep': sep, 'compressor': comp[0],
                         'fill': None if fill is None else (str(fill) if isinstance(fill, float) and np.isnan(fill) else fill),
                         'partial': partial})

    k = 0
    for dt in DTYPES:
        for order in 'CF':
            for sep in ['.', '/']:
                comp = COMPS[k % len(COMPS)]
                k += 1
                add('m%d' % k, dt, order, sep, comp)
    for comp in COMPS:
        for dt in ['<u2', '|u1', '>f8']:
            k += 1
            add('c%d' % k, dt, 'C', '.', comp)
    add('nanfill', '<f4', 'C', '.', COMPS[0], fill=float('nan'), partial=True)
    add('fill7', '<i2', 'F', '/', COMPS[2], fill=7, partial=True)
    zarr.consolidate_metadata(zarr.DirectoryStore(out))
    with open(out + '.json', 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
