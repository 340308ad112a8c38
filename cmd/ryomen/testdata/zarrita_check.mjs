// Reads a ryomen demo output with zarrita: the OME metadata of level 1 and a
// plane of each array path given after the store. Used by TestZarrita.
import * as zarr from "zarrita";
import { FileSystemStore } from "@zarrita/storage";
const store = new FileSystemStore(process.argv[2]);
const root = zarr.root(store);
const g = await zarr.open(root, { kind: "group" });
console.log(JSON.stringify(g.attrs.ome.multiscales[0].datasets[1]));
for (const p of process.argv.slice(3)) {
  const a = await zarr.open(root.resolve(p), { kind: "array" });
  const c = await zarr.get(a, [5, null, null]);
  let mx = 0; for (const v of c.data) mx = Math.max(mx, Number(v));
  console.log(p, a.shape, a.dtype, a.chunks, "max", mx);
}
