# A model server for the tests: it speaks the frame protocol of
# docs/exec-protocol.md. Its behaviour is chosen by argv[1]:
#   double   returns 2*x in the request's dtype
#   u8gt     returns (x > 500) as uint8
#   garbage  writes text to stdout instead of a frame
#   exit     exits after reading the first request
#   shape    returns an array of the wrong shape
#   error    answers with an error header
#   slow     like double, but reads all requests it can before answering
import io, json, struct, sys
import numpy as np

mode = sys.argv[1]
inp, out = sys.stdin.buffer, sys.stdout.buffer

def read_npy(f):
    # np.lib.format.read_array needs a seekable file; stdin is a pipe.
    major, minor = np.lib.format.read_magic(f)
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
    assert x.shape[0] == len(hdr["batch"]), (x.shape, hdr)
    print("request", hdr["id"], x.shape, x.dtype, file=sys.stderr)
    if mode == "double":
        send({"id": hdr["id"]}, (2 * x).astype(x.dtype))
    elif mode == "u8gt":
        send({"id": hdr["id"]}, (x > 500).astype(np.uint8))
    elif mode == "garbage":
        out.write(b"hello, I am printing to stdout\n")
        out.flush()
    elif mode == "exit":
        sys.exit(0)
    elif mode == "shape":
        send({"id": hdr["id"]}, x[:, :1])
    elif mode == "error":
        send({"id": hdr["id"], "error": "CUDA out of memory"}, np.zeros((0,), np.uint8))
