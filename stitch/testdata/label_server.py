# A threshold-then-label model server for the stitch tests, speaking the
# frame protocol of docs/exec-protocol.md: each crop of a request is
# answered with scipy.ndimage.label(crop > T) (face connectivity) as int32,
# numbered 1..n within the crop; T is argv[1] (default 0). Run by
# /usr/bin/python3 with numpy and scipy.
import io, json, struct, sys
import numpy as np
from scipy import ndimage

inp, out = sys.stdin.buffer, sys.stdout.buffer
thr = float(sys.argv[1]) if len(sys.argv) > 1 else 0

def read_npy(f):
    major, _ = np.lib.format.read_magic(f)
    if major == 1:
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    n = int(np.prod(shape)) * dtype.itemsize
    return np.frombuffer(f.read(n), dtype).reshape(shape)

def send(hdr, arr):
    h = json.dumps(hdr).encode()
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr))
    out.write(b"RYOMEN01" + struct.pack("<I", len(h)) + h + buf.getvalue())
    out.flush()

while True:
    magic = inp.read(8)
    if not magic:
        break
    assert magic == b"RYOMEN01", magic
    (n,) = struct.unpack("<I", inp.read(4))
    hdr = json.loads(inp.read(n))
    x = read_npy(inp)
    res = np.zeros(x.shape, np.int32)
    for i in range(x.shape[0]):
        res[i], _ = ndimage.label(x[i] > thr)
    send({"id": hdr["id"]}, res)
