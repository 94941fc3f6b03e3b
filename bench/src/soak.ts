/**
 * `npm run soak -- [--minutes 30] [--channels 10] [--per-channel 10] [--churn-every 3000]
 * [--churn-count 2] [--seed 8] [--sample-every 5000] [--server-node-args '<node flags>']`: the soak (bench/src/soak/SoakRun.ts) against a
 * `patchbay serve` child process, inside the private network namespace. Prints the checks, writes
 * bench/results/soak.json, and (runs of 10 minutes or more) the Soak section of BENCHMARKS.md.
 * Exits 1 when a check fails.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, printTable, stamp, updateBenchmarksMd, writeJson } from './report.js';
import { soakTable } from './soak/report.js';
import { runSoak, type SoakOptions } from './soak/SoakRun.js';
import { judge } from './soak/verdict.js';
import { machineInfo } from './util.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function num(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

async function main(): Promise<number> {
  const machine = machineInfo(root);
  console.log(stamp(machine));
  if (!process.env.PATCHBAY_NETNS) console.log('note: not inside scripts/netns-run.sh; media uses 127.0.0.1');
  const options: Partial<SoakOptions> = {};
  const set = <K extends keyof SoakOptions>(key: K, flag: string) => {
    const v = num(flag);
    if (v !== undefined) (options as Record<string, number>)[key] = v;
  };
  set('minutes', 'minutes');
  set('channels', 'channels');
  set('perChannel', 'per-channel');
  set('churnEveryMs', 'churn-every');
  set('churnCount', 'churn-count');
  set('seed', 'seed');
  set('sampleEveryMs', 'sample-every');
  // The server's node flags; default: the production setting (SERVE_NODE_FLAGS). '' runs it bare.
  const flagsAt = process.argv.indexOf('--server-node-args');
  if (flagsAt >= 0) options.serverNodeArgs = (process.argv[flagsAt + 1] ?? '').split(' ').filter(Boolean);
  const result = await runSoak(root, options);
  const verdict = judge(result);
  const table = soakTable(result, verdict);
  printTable(table);
  writeJson(root, 'soak', { machine, verdict, ...result });
  if (result.options.minutes >= 10) {
    updateBenchmarksMd(root, 'soak', 'Soak', `${stamp(machine)}\n\n${markdownTable(table)}`);
  }
  console.log(verdict.ok ? '\nsoak: all checks passed' : '\nsoak: FAILED');
  return verdict.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
