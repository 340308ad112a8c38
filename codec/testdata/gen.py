# Regenerates the codec fixtures with Debian's numcodecs 0.11 (c-blosc 1.21):
#   /usr/bin/python3 gen.py
# numcodecs/manifest.json lists each case: the encoded file, the raw input
# it decodes to, and the codec configuration numcodecs used.
import json, os, numpy as np, numcodecs
from numcodecs import Blosc, Zstd, GZip, Zlib, LZ4

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "numcodecs")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
cases = []

def data(dtype, n):
    # Smooth ramps plus noise: compressible, but not trivially.
    x = np.arange(n, dtype=np.float64)
    v = 40 * np.sin(x / 37.0) + rng.normal(0, 3, n) + 60
    return v.astype(dtype)

def save(name, rawname, enc, config):
    open(os.path.join(out, name), "wb").write(enc)
    cases.append({"enc": name, "raw": rawname, "config": config})

for dt, sizes in [("u1", [777, 3001]), ("u2", [777, 3001]), ("f4", [777, 3001]), ("u8", [777])]:
    for n in sizes:
        a = data(dt, n)
        raw = a.tobytes()
        rawname = f"{dt}-n{n}.raw"
        open(os.path.join(out, rawname), "wb").write(raw)
        for cname in ["blosclz", "lz4", "lz4hc", "zstd", "zlib", "snappy"]:
            for shuf in [0, 1, 2]:
                for bs in [0, 1024]:
                    c = Blosc(cname=cname, clevel=5, shuffle=shuf, blocksize=bs)
                    save(f"blosc-{cname}-s{shuf}-b{bs}-{dt}-n{n}", rawname, c.encode(a), c.get_config())
        c = Blosc(cname="lz4", clevel=0)
        save(f"blosc-clevel0-{dt}-n{n}", rawname, c.encode(a), c.get_config())
        for c in [Zstd(level=3), GZip(level=5), Zlib(level=5), LZ4()]:
            save(f"{c.codec_id}-{dt}-n{n}", rawname, c.encode(raw), c.get_config())
json.dump({"numcodecs": numcodecs.__version__, "cases": cases}, open(os.path.join(out, "manifest.json"), "w"), indent=0)
