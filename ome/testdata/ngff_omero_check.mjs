// Checks OME-Zarr groups written by the ome package's tests against the
// zod schemas of @fideus-labs/ngff-zarr (a third-party translation of the
// NGFF JSON schemas), then reads each image with that library's reader and
// prints the omero channels it parsed.
// Usage: node ngff_omero_check.mjs ROOT GROUP... ; one line per group;
// exit status 1 when any group is invalid.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The test puts node_modules beside this script.
const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), "node_modules", "@fideus-labs", "ngff-zarr");
const S = await import(path.join(pkg, "esm/schemas/ome_zarr.js"));
const { fromNgffZarr } = await import(path.join(pkg, "esm/mod.js"));

async function attrsOf(dir) {
  try {
    const meta = JSON.parse(await readFile(path.join(dir, "zarr.json"), "utf8"));
    return { version: "0.5", attrs: meta.attributes ?? {}, ome: meta.attributes?.ome ?? {} };
  } catch {
    const attrs = JSON.parse(await readFile(path.join(dir, ".zattrs"), "utf8"));
    return { version: "0.4", attrs, ome: attrs };
  }
}

const root = process.argv[2];
let failed = false;
for (const g of process.argv.slice(3)) {
  const dir = path.join(root, g);
  const { version, attrs, ome } = await attrsOf(dir);
  const checks = [];
  if (ome.multiscales !== undefined && version === "0.5") {
    checks.push(["image 0.5", S.ImageSchemaV05.safeParse(attrs)]);
  }
  if (ome.omero !== undefined) {
    checks.push(["omero", S.OmeroSchema.safeParse(ome.omero)]);
    for (const [i, c] of (ome.omero.channels ?? []).entries()) {
      // ome-zarr-models and the spec text: color is RRGGBB hex.
      const ok = typeof c.color === "string" && /^[0-9A-Fa-f]{6}$/.test(c.color);
      checks.push([`omero.channels[${i}].color`, ok ? { success: true } : { success: false, error: { message: `color ${c.color}` } }]);
    }
  }
  if (ome["image-label"] !== undefined) {
    checks.push(["image-label", S.LabelSchemaV04.safeParse({ "image-label": ome["image-label"] })]);
  }
  if (ome.labels !== undefined) {
    const ok = Array.isArray(ome.labels) && ome.labels.every((n) => typeof n === "string");
    checks.push(["labels", ok ? { success: true } : { success: false, error: { message: "labels is not a list of names" } }]);
  }
  let bad = false;
  for (const [what, r] of checks) {
    if (!r.success) {
      bad = failed = true;
      console.log(`${g}: ${what} INVALID: ${r.error.message.replace(/\s+/g, " ")}`);
    }
  }
  if (bad) continue;
  let read = "";
  if (ome.multiscales !== undefined) {
    const ms = await fromNgffZarr(dir, { validate: true });
    const ch = ms.metadata.omero?.channels ?? [];
    read = `; ${ms.images.length} levels`;
    if (ch.length > 0) read += "; omero " + ch.map((c) => `${c.label}=${c.color}[${c.window.start},${c.window.end} of ${c.window.min},${c.window.max}]`).join(" ");
  }
  console.log(`${g}: valid ${version}; ${checks.map(([w]) => w).join(",")}${read}`);
}
process.exit(failed ? 1 : 0);
