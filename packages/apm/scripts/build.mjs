#!/usr/bin/env node
// Builds the native APM addon (native/build/Release/patchbay_apm.node) with node-gyp, but only when
// libwebrtc's audio processing library is installed (Debian: libwebrtc-audio-processing-dev).
// Without it, or when the build fails, it prints one line and exits 0: `npm ci`, `npm run build`
// and `npm test` never fail for it, and @patchbay/apm reports isApmAvailable() === false.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const APT = 'libwebrtc-audio-processing-dev';

function skip(why) {
  console.log(
    `@patchbay/apm: native APM skipped (${why}); echo cancellation/AGC unavailable. Install ${APT} and run npm run build.`,
  );
  process.exit(0);
}

const probe = spawnSync('pkg-config', ['--exists', 'webrtc-audio-processing'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) skip('pkg-config webrtc-audio-processing not found');

const candidates = [
  process.env.npm_config_node_gyp,
  join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  ),
].filter((p) => p && existsSync(p));
if (candidates.length === 0) skip('node-gyp not found');

// Use the headers installed with Node (offline) when npm does not already name a nodedir.
const prefix = resolve(dirname(process.execPath), '..');
const nodedir =
  !process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))
    ? [`--nodedir=${prefix}`]
    : [];
const quiet = !process.env.PATCHBAY_APM_VERBOSE;
const args = [candidates[0], 'rebuild', ...nodedir, ...(quiet ? ['--silent'] : [])];
const result = spawnSync(process.execPath, args, {
  // binding.gyp lives in native/ so that npm does not add its implicit `node-gyp rebuild` install script.
  cwd: join(pkg, 'native'),
  stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
  encoding: 'utf8',
});
if (result.status !== 0) {
  if (quiet && result.stderr) process.stderr.write(result.stderr.split('\n').slice(-15).join('\n') + '\n');
  skip(`node-gyp failed with status ${result.status}`);
}
console.log('@patchbay/apm: native APM built (libwebrtc audio processing: AEC, AGC, NS)');
