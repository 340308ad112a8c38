"""A practitioner's TIFF stack to Zarr conversion in Python: the peer of
`ryomen convert IN.tif OUT.zarr`.

Reads the first series of a (tiled or striped) TIFF stack with tifffile,
64 pages at a time, and writes it into a Zarr v2 array with 64^3 chunks
and numcodecs Zstd level 3 (zarr-python 2 has no sharding). Usage:

    python3 convert_tifffile.py IN.tif OUT.zarr
"""
import sys
import time

import tifffile
import zarr
from numcodecs import Zstd


def main():
    src, dst = sys.argv[1], sys.argv[2]
    t0 = time.time()
    with tifffile.TiffFile(src) as tif:
        s = tif.series[0]
        out = zarr.open_array(dst, mode="w", shape=s.shape, chunks=(64, 64, 64), dtype=s.dtype,
                              compressor=Zstd(level=3), dimension_separator="/")
        for z0 in range(0, s.shape[0], 64):
            z1 = min(z0 + 64, s.shape[0])
            out[z0:z1] = tif.asarray(key=range(z0, z1))
    print(f"{time.time() - t0:.2f}")


if __name__ == "__main__":
    main()
