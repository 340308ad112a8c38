// Writes Zarr v3 arrays with dimension names, and an OME-Zarr 0.5 image,
// with zarrita, for dataset's interop test:
//
//   node axes_v3.mjs <dir>
//
// Element i (C order) of every array is i % 997 (uint16).
import * as zarr from "zarrita";
import { FileSystemStore } from "@zarrita/storage";

const dir = process.argv[2];
const root = zarr.root(new FileSystemStore(dir));
await zarr.create(root);

async function write(path, shape, names, attributes) {
  const chunkShape = shape.map((s, i) => (names[i] === "t" || names[i] === "c" ? 1 : Math.min(s, 8)));
  const arr = await zarr.create(root.resolve(path), { shape, chunkShape, dtype: "uint16", dimensionNames: names, attributes, fillValue: 0 });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = i % 997;
  const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  await zarr.set(arr, null, { data, shape, stride });
}

await write("yx", [13, 17], ["y", "x"]);
await write("czyx", [3, 5, 13, 17], ["c", "z", "y", "x"]);
await write("tczyx", [2, 3, 5, 13, 17], ["t", "c", "z", "y", "x"]);
// An OME-Zarr 0.5 image: one level, t c z y x with units and scales.
const img = root.resolve("img");
await zarr.create(img, {
  attributes: {
    ome: {
      version: "0.5",
      multiscales: [{
        axes: [
          { name: "t", type: "time", unit: "second" }, { name: "c", type: "channel" },
          { name: "z", type: "space", unit: "micrometer" }, { name: "y", type: "space", unit: "micrometer" },
          { name: "x", type: "space", unit: "micrometer" }],
        datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [2.5, 1, 0.75, 0.25, 0.25] }] }],
      }],
    },
  },
});
await write("img/0", [2, 3, 5, 13, 17], ["t", "c", "z", "y", "x"]);
console.log("ok");
