# A model server for the tests: it speaks the frame protocol of
# docs/exec-protocol.md. Its behaviour is chosen by argv[1]:
#   double   returns 2*x in the request's dtype
#   u8gt     returns (x > 500) as uint8
#   garbage  writes about 1 MB of text to stdout instead of a frame
#   exit     exits (status 3) after reading the first request
#   midexit  writes the first half of a response, then exits (status 4)
#   shape    returns an array one row short on axis 1 (as large as the input)
#   dtype    returns the doubled batch as float64 (wrong dtype, twice as large)
#   error    answers request 0 with an error frame, later requests normally
#   hang     reads the first request and then never answers or reads again
#   linger   like double, but ignores stdin EOF and SIGTERM at the end
#   echo     returns x unchanged
#   chmix    channel-changing model for [B, C, ...] crops: returns 3
#            channels (sum over C, channel 0, channel C-1), in x's dtype
#   half     returns x[..., ::2, ::2] (a model that halves y and x)
#   slow     like double, but sleeps RYOMEN_TEST_DELAY seconds (default 0.5)
#            before each answer
# If the environment variable RYOMEN_TEST_PIDFILE is set, the server first
# writes its process id to that file, so tests can check that it was killed.
import io, json, os, signal, struct, sys, time
import numpy as np

mode = sys.argv[1]
inp, out = sys.stdin.buffer, sys.stdout.buffer

if os.environ.get("RYOMEN_TEST_PIDFILE"):
    with open(os.environ["RYOMEN_TEST_PIDFILE"], "w") as f:
        f.write(str(os.getpid()))

def read_npy(f):
    # np.lib.format.read_array needs a seekable file; stdin is a pipe.
    major, minor = np.lib.format.read_magic(f)
    if major == 1:
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    n = int(np.prod(shape)) * dtype.itemsize
    return np.frombuffer(f.read(n), dtype).reshape(shape)

def frame(hdr, arr):
    h = json.dumps(hdr).encode()
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr))
    return b"RYOMEN01" + struct.pack("<I", len(h)) + h + buf.getvalue()

def send(hdr, arr):
    out.write(frame(hdr, arr))
    out.flush()

def serve():
    while True:
        magic = inp.read(8)
        if not magic:
            return
        assert magic == b"RYOMEN01", magic
        (n,) = struct.unpack("<I", inp.read(4))
        hdr = json.loads(inp.read(n))
        x = read_npy(inp)
        assert x.shape[0] == len(hdr["batch"]), (x.shape, hdr)
        print("request", hdr["id"], x.shape, x.dtype, file=sys.stderr, flush=True)
        answer(hdr["id"], x)

def answer(id, x):
    if mode == "slow":
        time.sleep(float(os.environ.get("RYOMEN_TEST_DELAY", "0.5")))
    if mode in ("double", "linger", "slow"):
        send({"id": id}, (2 * x).astype(x.dtype))
    elif mode == "echo":
        send({"id": id}, x)
    elif mode == "chmix":
        send({"id": id}, np.stack([x.sum(axis=1), x[:, 0], x[:, -1]], axis=1).astype(x.dtype))
    elif mode == "half":
        send({"id": id}, x[..., ::2, ::2])
    elif mode == "u8gt":
        send({"id": id}, (x > 500).astype(np.uint8))
    elif mode == "garbage":
        out.write(b"hello, I am printing to stdout\n" * 32768)
        out.flush()
    elif mode == "exit":
        print("model server: giving up after request", id, file=sys.stderr, flush=True)
        sys.exit(3)
    elif mode == "midexit":
        f = frame({"id": id}, 2 * x)
        out.write(f[: len(f) // 2])
        out.flush()
        print("model server: died mid-response", file=sys.stderr, flush=True)
        os._exit(4)
    elif mode == "shape":
        send({"id": id}, x[:, :-1])
    elif mode == "dtype":
        send({"id": id}, 2 * x.astype(np.float64))
    elif mode == "error":
        if id == 0:
            send({"id": id, "error": "CUDA out of memory"}, np.zeros((0,), np.uint8))
        else:
            send({"id": id}, (2 * x).astype(x.dtype))
    elif mode == "hang":
        print("model server: stuck", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)

serve()
if mode == "linger":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("model server: ignoring EOF and SIGTERM", file=sys.stderr, flush=True)
    while True:
        time.sleep(60)
