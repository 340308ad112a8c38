// Validates the OME-Zarr 0.5 metadata of ryomen outputs with the zod
// schemas of @fideus-labs/ngff-zarr (a third-party translation of the NGFF
// JSON schemas), then loads each image with that library's reader.
// Usage: node ngff_check.mjs ROOT GROUP... ; prints one line per group.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The test puts node_modules beside this script.
const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), "node_modules", "@fideus-labs", "ngff-zarr");
const S = await import(path.join(pkg, "esm/schemas/ome_zarr.js"));
const M = await import(path.join(pkg, "esm/schemas/zarr_metadata.js"));
const { fromNgffZarr } = await import(path.join(pkg, "esm/mod.js"));

const root = process.argv[2];
let failed = false;
for (const g of process.argv.slice(3)) {
  const dir = path.join(root, g);
  const meta = JSON.parse(await readFile(path.join(dir, "zarr.json"), "utf8"));
  const attrs = meta.attributes ?? {};
  const checks = [["image 0.5", S.ImageSchemaV05.safeParse(attrs)],
                  ["multiscales metadata", M.MetadataSchema.safeParse(attrs.ome?.multiscales?.[0])]];
  if (attrs.ome?.["image-label"] !== undefined) {
    checks.push(["image-label", S.LabelSchemaV04.safeParse({ "image-label": attrs.ome["image-label"] })]);
  }
  for (const [what, r] of checks) {
    if (!r.success) {
      failed = true;
      console.log(`${g}: ${what} INVALID: ${r.error.message}`);
    }
  }
  const ms = await fromNgffZarr(dir, { validate: true });
  const scales = ms.images.map((im) => JSON.stringify(im.scale));
  console.log(`${g}: valid; ${ms.images.length} levels; scales ${scales.join(" ")}`);
}
process.exit(failed ? 1 : 0);
