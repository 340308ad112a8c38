// Bundles Neuroglancer (npm) with esbuild into OUT_DIR, for the test that
// opens 'ryomen serve' output in it.
//
// usage: node build-neuroglancer.mjs OUT_DIR
//
// Neuroglancer's entry points are main.bundle.js and the two worker
// entries it loads by new URL(...) relative to its modules: the chunk
// worker next to the main bundle ("./chunk_worker.bundle.js") and the
// async-computation worker one directory up ("../async_computation.bundle.js"),
// hence the x/ subdirectory.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ng = path.join(here, 'node_modules/neuroglancer/lib/');
// "?raw" SVG imports load as text. The npm release of ikonate (Neuroglancer
// pins a GitHub commit, which this machine cannot fetch) lacks three of the
// icons; they become blank, as they only decorate buttons.
const raw = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => {
      const p = a.path.replace(/\?raw$/, '');
      return { path: p.startsWith('.') ? path.resolve(a.resolveDir, p) : path.join(here, 'node_modules', p), namespace: 'raw' };
    });
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({
      contents: fs.existsSync(a.path) ? fs.readFileSync(a.path, 'utf8') : '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"></svg>',
      loader: 'text',
    }));
  },
};
await esbuild.build({
  entryPoints: {
    'x/main.bundle': ng + 'main.bundle.js',
    'x/chunk_worker.bundle': ng + 'chunk_worker.bundle.js',
    'async_computation.bundle': ng + 'async_computation.bundle.js',
  },
  bundle: true, format: 'esm', outdir: process.argv[2], logLevel: 'error', plugins: [raw],
  loader: { '.svg': 'text', '.wasm': 'file', '.png': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file' },
});
