#!/usr/bin/env node
// Builds the browser bundles from the compiled ESM (run `tsc -b` first):
//   bundle/patchbay.js            IIFE, sets the global `Patchbay`
//   bundle/patchbay-ng-compat.js  IIFE, sets the global `AgoraRTC` (same object), for pages
//                                 written for the Agora Web SDK NG: change only the script src.
// Usage: node packages/web/scripts/bundle.mjs [--minify]
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'index.js');
if (!existsSync(entry)) {
  console.error(`bundle.mjs: ${entry} is missing; run \`npx tsc -b\` at the repository root first`);
  process.exit(1);
}
const outDir = join(root, 'bundle');
mkdirSync(outDir, { recursive: true });
const minify = process.argv.includes('--minify');

const targets = [
  { file: 'patchbay.js', global: 'Patchbay' },
  { file: 'patchbay-ng-compat.js', global: 'AgoraRTC' },
  // The legacy Web SDK v3 API (callbacks, streams) over the same client: global `AgoraRTC`.
  { file: 'patchbay-v3-compat.js', global: 'AgoraRTC', from: join(root, 'dist', 'v3', 'index.js') },
];

for (const { file, global, from = entry } of targets) {
  await build({
    stdin: {
      contents: `import factory from ${JSON.stringify(from)};\nglobalThis[${JSON.stringify(global)}] = factory;\n`,
      resolveDir: root,
      sourcefile: `${global}-entry.js`,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    outfile: join(outDir, file),
    sourcemap: true,
    minify,
    legalComments: 'none',
    banner: { js: `/* @patchbay/web ${file}: global ${global}. MIT License. */` },
    logLevel: 'warning',
  });
  console.log(`bundle.mjs: wrote ${join(outDir, file)}`);
}
