#!/usr/bin/env node
// Test runner behind `npm test` (which runs `tsc -b` first).
//
//   node scripts/test.mjs [substring]
//
// Runs every compiled test file packages/*/dist/**/*.test.js and
// tests/*/dist/**/*.test.js (optionally only those whose path contains
// `substring`) with node's built-in runner, one file at a time.
//
// WebRTC needs non-loopback addresses, so unless already inside the private
// namespace (PATCHBAY_NETNS set) and if running as root with `ip` available,
// this re-executes itself through scripts/netns-run.sh. Otherwise it runs the
// tests as they are and warns once.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const filter = args[0];

/** Spawn with inherited stdio, forward termination signals, resolve to an exit code. */
function run(command, commandArgs) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env: process.env });
    const forward = (signal) => child.kill(signal);
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    child.on('error', (err) => {
      console.error(`test.mjs: cannot run ${command}: ${err.message}`);
      resolvePromise(127);
    });
    child.on('close', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      if (signal) {
        const num = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 0;
        resolvePromise(128 + num);
      } else {
        resolvePromise(code ?? 1);
      }
    });
  });
}

function findExecutable(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function findTestFiles() {
  const files = [];
  for (const group of ['packages', 'tests']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir).sort()) {
      const dist = join(groupDir, name, 'dist');
      if (existsSync(dist) && statSync(dist).isDirectory()) walk(dist, files);
    }
  }
  return files.map((f) => relative(root, f).split(sep).join('/')).sort();
}

const NAMESPACE_WARNING =
  'test.mjs: warning: not inside the test network namespace (needs root and iproute2); ' +
  'WebRTC tests need it: run as root or via scripts/netns-run.sh';

// netns-run.sh exits 125 when it cannot set the namespace up.
const NETNS_SETUP_FAILED = 125;

async function main() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!process.env.PATCHBAY_NETNS) {
    if (isRoot && findExecutable('ip')) {
      const code = await run('bash', [
        join(root, 'scripts', 'netns-run.sh'),
        process.execPath,
        fileURLToPath(import.meta.url),
        ...args,
      ]);
      if (code !== NETNS_SETUP_FAILED) return code;
      // netns-run.sh has already said why; fall through and run without it.
    }
    console.error(NAMESPACE_WARNING);
  }

  const all = findTestFiles();
  const files = filter ? all.filter((f) => f.includes(filter)) : all;
  if (files.length === 0) {
    console.error(
      filter
        ? `test.mjs: no test file path contains "${filter}" (${all.length} test files found)`
        : 'test.mjs: no compiled test files found under packages/*/dist or tests/*/dist (did `tsc -b` run?)',
    );
    return 1;
  }
  if (filter)
    console.error(`test.mjs: running ${files.length} of ${all.length} test files matching "${filter}"`);

  return run(process.execPath, [
    '--test',
    '--enable-source-maps',
    '--test-concurrency=1',
    // libwebrtc keeps native threads alive after the last client closes; end each file when its tests are done.
    '--test-force-exit',
    '--test-timeout=180000',
    ...files,
  ]);
}

process.exitCode = await main();
