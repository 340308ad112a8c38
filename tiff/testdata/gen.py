# Regenerates the TIFF fixtures: /usr/bin/python3 gen.py (tifffile, numpy)
# then the tiffcp lines at the end (libtiff-tools) for the compressions
# tifffile cannot write without imagecodecs. Every file holds
# value(z, y, x[, s]) = (z*1000 + y*37 + x*3 + s) cast to its dtype
# (shape 3x20x24 by default) so tests can recompute it.
import numpy as np, tifffile, subprocess

def vol(dtype, shape=(3, 20, 24)):
    z, y, x = np.indices(shape[:3])
    v = z * 1000 + y * 37 + x * 3
    if len(shape) == 4:
        v = v[..., None] + np.arange(shape[3])
    if np.dtype(dtype).kind == "i":
        v = v - 1500
    if np.dtype(dtype).kind == "f":
        v = v * 0.25 - 100
    return v.astype(dtype)

for dt in ["u1", "u2", "u4", "u8", "i1", "i2", "i4", "i8", "f4", "f8"]:
    tifffile.imwrite(f"strips-{dt}.tif", vol(dt), rowsperstrip=7, photometric="minisblack")
tifffile.imwrite("tiles-u2.tif", vol("u2"), tile=(16, 16), photometric="minisblack")
tifffile.imwrite("bigtiff-u2.tif", vol("u2"), bigtiff=True, tile=(16, 16), photometric="minisblack")
tifffile.imwrite("be-u2.tif", vol("u2"), byteorder=">", rowsperstrip=5, photometric="minisblack")
tifffile.imwrite("be-f4.tif", vol("f4"), byteorder=">", tile=(16, 16), photometric="minisblack")
tifffile.imwrite("imagej-u1.tif", vol("u1"), imagej=True, metadata={"axes": "ZYX", "spacing": 2.5, "unit": "um"})
tifffile.imwrite("deflate-u2.tif", vol("u2"), compression="zlib", rowsperstrip=8, photometric="minisblack")
tifffile.imwrite("rgb-u1.tif", vol("u1", (2, 20, 24, 3)), photometric="rgb", rowsperstrip=6)
tifffile.imwrite("single-u2.tif", vol("u2")[0], photometric="minisblack")
for name, opt in [("lzw", "lzw"), ("lzw-pred", "lzw:2"), ("zstd", "zstd"), ("zip-pred", "zip:2"), ("packbits", "packbits")]:
    subprocess.run(["tiffcp", "-c", opt, "strips-u2.tif", f"{name}-u2.tif"], check=True)
subprocess.run(["tiffcp", "-c", "zip:3", "strips-f4.tif", "zip-floatpred-f4.tif"], check=True)
subprocess.run(["tiffcp", "-c", "lzw:3", "-t", "-w", "16", "-l", "16", "strips-f8.tif", "lzw-floatpred-tiles-f8.tif"], check=True)
subprocess.run(["tiffcp", "-c", "zstd:2", "-B", "strips-i2.tif", "zstd-pred-be-i2.tif"], check=True)
# A pyramid: every page of a 3x64x48 stack carries two SubIFDs holding
# the stack subsampled by 2 and by 4 (level k pixel (z, y, x) is
# value(z, y*2**k, x*2**k)).
pyr = vol("u2", (3, 64, 48))
with tifffile.TiffWriter("subifds-u2.tif") as tw:
    tw.write(pyr, subifds=2, tile=(16, 16), photometric="minisblack", compression="zlib")
    tw.write(pyr[:, ::2, ::2], subfiletype=1, tile=(16, 16), photometric="minisblack", compression="zlib")
    tw.write(pyr[:, ::4, ::4], subfiletype=1, tile=(16, 16), photometric="minisblack", compression="zlib")
