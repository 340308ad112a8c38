#!/usr/bin/python3
"""float32 -> float16 conversions by Debian's numpy, for nd's Float16 tests.

Run: cd nd/testdata && /usr/bin/python3 gen_float16.py > float16_numpy.txt
  or: /usr/bin/python3 gen_float16.py IN.bin OUT.bin  (raw little-endian
      float32 bits in, float16 bits out; the live test's exhaustive mode).
Each output line is "f32bits f16bits" in hex: the float16 numpy's
astype(np.float16) gives for that float32.
"""
import sys
import numpy as np


def inputs():
    h = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    f = h.astype(np.float32)
    fin = np.sort(np.unique(f[np.isfinite(f) & (f >= 0)]))
    mids = ((fin[:-1].astype(np.float64) + fin[1:]) / 2).astype(np.float32)
    sel = np.r_[0:64, 960:1100, 14300:14400, 15300:15400, 30600:30720]
    m = mids[sel[sel < len(mids)]]
    up = np.nextafter(m, np.float32(np.inf))
    dn = np.nextafter(m, np.float32(0))
    rng = np.random.default_rng(1)
    rnd = rng.uniform(-70000, 70000, 1000).astype(np.float32)
    tiny = (rng.uniform(-1, 1, 500) * 2.0 ** -14).astype(np.float32)
    special = np.array([65504, 65519.996, 65520, 65536, 1e30, np.inf, -np.inf, 2.0 ** -25,
                        2.0 ** -25 * 1.0000001, 2.0 ** -26, 1e-30, 0.1, 1 / 3], np.float32)
    nans = np.array([0x7fc00000, 0x7f800001, 0x7fa00000, 0xffc00001, 0x7f802000, 0x7fffffff],
                    np.uint32).view(np.float32)
    x = np.concatenate([f[sel], m, up, dn, rnd, tiny, special, -special, nans]).astype(np.float32)
    return x


def main():
    if len(sys.argv) == 3:
        x = np.fromfile(sys.argv[1], dtype="<u4").view("<f4")
        x.astype(np.float16).view("<u2").tofile(sys.argv[2])
        return
    x = inputs()
    y = x.astype(np.float16)
    for a, b in zip(x.view(np.uint32), y.view(np.uint16)):
        print("%08x %04x" % (a, b))


main()
