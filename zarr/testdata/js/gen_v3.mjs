// Writes the Zarr v3 fixtures under ../v3 with zarrita, and reads arrays
// for the Go interop tests.
//
//   node gen_v3.mjs write <dir>          write the fixtures and <dir>.json
//   node gen_v3.mjs read <dir> <path>... print {path: [values...]} as JSON
//   node gen_v3.mjs bool <dir>           write bool array <dir>/b: fill true,
//                                        block [0:2, 0:3] = i % 2 == 0
//
// Every array has shape [5, 7] and chunks [2, 3]; element i (C order) is
// value(i) below, the same as gen_v2.py. zarrita cannot write sharded
// arrays, so sharding is covered by Go writing and zarrita reading.
import * as zarr from "zarrita";
import { FileSystemStore } from "@zarrita/storage";
import fs from "node:fs";

function value(dtype, i) {
  const v = i % 97;
  if (dtype.startsWith("float")) return v * 0.25 - 3;
  if (dtype.startsWith("int")) return v - 20;
  return v + 1;
}

const arrays = {
  uint8: globalThis.Uint8Array, uint16: globalThis.Uint16Array, uint32: globalThis.Uint32Array,
  int8: globalThis.Int8Array, int16: globalThis.Int16Array, int32: globalThis.Int32Array,
  float32: globalThis.Float32Array, float64: globalThis.Float64Array,
  uint64: globalThis.BigUint64Array, int64: globalThis.BigInt64Array,
};

const le = { name: "bytes", configuration: { endian: "little" } };
const be = { name: "bytes", configuration: { endian: "big" } };
const variants = [
  ["bytes-le", [le]],
  ["bytes-be", [be]],
  ["transpose", [{ name: "transpose", configuration: { order: [1, 0] } }, le]],
  ["gzip", [le, { name: "gzip", configuration: { level: 5 } }]],
  ["zstd", [le, { name: "zstd", configuration: { level: 3, checksum: false } }]],
  ["blosc", [le, { name: "blosc", configuration: { cname: "lz4", clevel: 5, shuffle: "shuffle", typesize: 2, blocksize: 0 } }]],
  ["crc32c", [le, { name: "crc32c" }]],
];

async function write(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  const root = zarr.root(new FileSystemStore(dir));
  await zarr.create(root);
  const manifest = [];
  const skipped = new Set();
  let k = 0;
  for (const dtype of ["uint8", "uint16", "int32", "float32", "float64", "int64"]) {
    for (const [name, codecs] of variants) {
      for (const sep of ["/", "."]) {
        if (name === "blosc" && dtype !== "uint16") continue;
        if (sep === "." && k % 3 !== 0) { k++; continue; }
        const path = `a${k++}`;
        const arr = await zarr.create(root.resolve(path), {
          shape: [5, 7], chunkShape: [2, 3], dtype, codecs, chunkSeparator: sep, fillValue: 0,
        });
        const A = arrays[dtype];
        const data = new A(35);
        for (let i = 0; i < 35; i++) data[i] = A === BigInt64Array || A === BigUint64Array ? BigInt(value(dtype, i)) : value(dtype, i);
        try {
          await zarr.set(arr, null, { data, shape: [5, 7], stride: [7, 1] });
        } catch (e) {
          // zarrita has no encoder for some codecs (gzip, ...): skip them.
          fs.rmSync(dir + "/" + path, { recursive: true, force: true });
          skipped.add(`${name}: ${e.message}`);
          continue;
        }
        manifest.push({ path, dtype, codecs: name, sep });
      }
    }
  }
  fs.writeFileSync(dir + ".json", JSON.stringify(manifest, null, 1));
  for (const s of skipped) console.error("skipped", s);
}

async function read(dir, paths) {
  const root = zarr.root(new FileSystemStore(dir));
  const out = {};
  for (const p of paths) {
    const arr = await zarr.open.v3(root.resolve(p), { kind: "array" });
    const got = await zarr.get(arr);
    // zarrita returns the data with its own strides (F order after a
    // transpose codec): gather it in C order.
    const n = got.shape.reduce((a, b) => a * b, 1);
    const vals = [];
    for (let i = 0; i < n; i++) {
      let rem = i, off = 0;
      for (let d = got.shape.length - 1; d >= 0; d--) {
        off += (rem % got.shape[d]) * got.stride[d];
        rem = Math.floor(rem / got.shape[d]);
      }
      const v = got.data.get ? got.data.get(off) : got.data[off]; // BoolArray has get
      vals.push(typeof v === "bigint" ? Number(v) : Number.isNaN(v) ? "NaN" : v);
    }
    out[p] = vals;
  }
  process.stdout.write(JSON.stringify(out));
}

async function writeBool(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  const root = zarr.root(new FileSystemStore(dir));
  await zarr.create(root);
  const arr = await zarr.create(root.resolve("b"), { shape: [5, 7], chunkShape: [2, 3], dtype: "bool", fillValue: true });
  const data = new zarr.BoolArray(6);
  for (let i = 0; i < 6; i++) data.set(i, i % 2 === 0);
  await zarr.set(arr, [zarr.slice(0, 2), zarr.slice(0, 3)], { data, shape: [2, 3], stride: [3, 1] });
}

const [cmd, dir, ...rest] = process.argv.slice(2);
if (cmd === "write") await write(dir);
else if (cmd === "bool") await writeBool(dir);
else await read(dir, rest);
