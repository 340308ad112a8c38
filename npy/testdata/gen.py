# Regenerates the .npy fixtures with Debian's numpy:  /usr/bin/python3 gen.py
# Each file holds arange(n) (cast, and reshaped to the named shape) so the
# tests can recompute its contents.
import numpy as np
for code in ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8", "f2"]:
    for endian in ["<", ">"]:
        dt = np.dtype(("|" if code[1] == "1" else endian) + code)
        for order in ["C", "F"]:
            a = np.arange(2 * 3 * 4, dtype=dt).reshape((2, 3, 4), order=order) - (5 if code[0] in "if" else 0)
            a = np.asarray(a, dtype=dt, order=order)
            np.save(f"{code}-{'be' if endian == '>' else 'le'}-{order}.npy", a)
np.save("scalar-f8.npy", np.array(3.5))
np.save("empty-u2.npy", np.zeros((0, 5), np.uint16))
np.save("bool.npy", np.array([True, False, True]))
np.save("vec-i4.npy", np.arange(7, dtype=np.int32))
np.lib.format.write_array(open("v2-u1.npy", "wb"), np.arange(6, dtype=np.uint8).reshape(2, 3), version=(2, 0))
np.lib.format.write_array(open("v3-u1.npy", "wb"), np.arange(6, dtype=np.uint8).reshape(2, 3), version=(3, 0))
np.save("complex.npy", np.zeros(2, np.complex64))
# float16 specials: +-0, +-1, 65504, +-inf, nan, smallest subnormal and normal, 0.1
np.save("f2-special.npy", np.array([0.0, -0.0, 1, -1, 65504, np.inf, -np.inf, np.nan, 2**-24, 2**-14, 0.1], np.float16))
np.save("bool-F.npy", np.asarray(np.arange(6).reshape(2, 3) % 3 == 1, order="F"))
