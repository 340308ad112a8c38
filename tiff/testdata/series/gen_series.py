# Regenerates the series fixtures (axes, OME-TIFF, ImageJ hyperstacks,
# RGB, vips pyramids): cd tiff/testdata/series && /usr/bin/python3 gen_series.py
# (Debian python3-tifffile, python3-numpy, libvips-tools). Every array
# holds vol(shape): v = 0; for each axis k (C order) v = v*10 + i_k*(k+1),
# then v % 60000, cast to the dtype, so tests can recompute it.
import numpy as np, tifffile, subprocess, os

def vol(shape, dtype="u2"):
    v = np.zeros(shape, np.int64)
    for k, i in enumerate(np.indices(shape)):
        v = v * 10 + i * (k + 1)
    return (v % 60000).astype(dtype)

ms = {"photometric": "minisblack"}
tifffile.imwrite("ome-czyx.ome.tif", vol((2, 3, 20, 24)), ome=True, **ms,
    metadata={"axes": "CZYX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.25, "PhysicalSizeZ": 2.0,
              "PhysicalSizeZUnit": "nm", "Channel": {"Name": ["DAPI", "GFP"]}})
tifffile.imwrite("ome-tczyx.ome.tif", vol((3, 2, 4, 20, 24), "f4"), ome=True, **ms, tile=(16, 16), compression="zlib",
    metadata={"axes": "TCZYX", "PhysicalSizeX": 0.125, "PhysicalSizeY": 0.125, "PhysicalSizeZ": 1.5,
              "TimeIncrement": 30.0, "TimeIncrementUnit": "s"})
with tifffile.TiffWriter("ome-two.ome.tif", ome=True) as tw:
    tw.write(vol((3, 20, 24)), **ms, metadata={"axes": "ZYX", "Name": "first"})
    tw.write(vol((4, 20, 24)) + 7, **ms, metadata={"axes": "ZYX", "Name": "second"})
# OME-TIFF pyramid: 2 channels of 64x48, two SubIFD levels subsampled by 2, 4.
pyr = vol((2, 64, 48))
with tifffile.TiffWriter("ome-pyramid.ome.tif", ome=True) as tw:
    tw.write(pyr, subifds=2, tile=(16, 16), compression="zlib", **ms,
             metadata={"axes": "CYX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.25, "Channel": {"Name": ["a", "b"]}})
    tw.write(pyr[:, ::2, ::2], subfiletype=1, tile=(16, 16), compression="zlib", **ms, metadata=None)
    tw.write(pyr[:, ::4, ::4], subfiletype=1, tile=(16, 16), compression="zlib", **ms, metadata=None)
tifffile.imwrite("imagej-tzcyx.tif", vol((2, 3, 2, 20, 24)), imagej=True, resolution=(4.0, 2.0),
    metadata={"axes": "TZCYX", "spacing": 1.5, "unit": "um", "finterval": 10.0})
tifffile.imwrite("rgb-contig.tif", vol((2, 20, 24, 3), "u1"), photometric="rgb")
tifffile.imwrite("rgb-planar.tif", vol((3, 20, 24), "u1"), photometric="rgb", planarconfig="separate", rowsperstrip=8)
tifffile.imwrite("rgb-planar-stack.tif", vol((2, 3, 20, 24), "u1"), photometric="rgb", planarconfig="separate", tile=(16, 16))
tifffile.imwrite("shaped-czyx.tif", vol((2, 3, 20, 24), "i2"), **ms, metadata={"axes": "CZYX"})
# vips pyramids from a 150x130 8-bit image (vips computes the levels).
tifffile.imwrite("vips-src.tif", vol((130, 150), "u1"), **ms, metadata=None)
subprocess.run(["vips", "tiffsave", "vips-src.tif", "vips-pages.tif", "--tile", "--pyramid",
                "--tile-width", "32", "--tile-height", "32", "--compression", "deflate"], check=True)
subprocess.run(["vips", "tiffsave", "vips-src.tif", "vips-subifd.tif", "--tile", "--pyramid", "--subifd",
                "--tile-width", "32", "--tile-height", "32", "--compression", "deflate"], check=True)
os.remove("vips-src.tif")
# float16 samples (SampleFormat 3, 16 bits), an ImageJ RGB z stack and an
# OME-TIFF RGB z stack (one Channel of SamplesPerPixel 3).
tifffile.imwrite("shaped-f2.tif", vol((2, 20, 24), "f2"), **ms, tile=(16, 16), compression="zlib")
tifffile.imwrite("imagej-rgb.tif", vol((3, 20, 24, 3), "u1"), imagej=True, photometric="rgb", metadata={"axes": "ZYXS"})
tifffile.imwrite("ome-rgb.ome.tif", vol((2, 20, 24, 3), "u1"), ome=True, photometric="rgb", metadata={"axes": "ZYXS"})
