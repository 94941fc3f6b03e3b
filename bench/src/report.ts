import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MachineInfo } from './util.js';

export type Cell = string | number | null;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  notes?: string[];
}

function fmt(cell: Cell): string {
  if (cell === null) return '—';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : 'n/a';
  return cell;
}

export function printTable(table: Table): void {
  const rows = [table.columns, ...table.rows.map((r) => r.map(fmt))];
  const widths = table.columns.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(`\n${table.title}`);
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  for (const n of table.notes ?? []) console.log(`  note: ${n}`);
}

export function markdownTable(table: Table): string {
  const head = `| ${table.columns.join(' | ')} |\n|${table.columns.map(() => '---').join('|')}|\n`;
  const body = table.rows.map((r) => `| ${r.map(fmt).join(' | ')} |`).join('\n');
  const notes = (table.notes ?? []).map((n) => `\n- ${n}`).join('');
  return `**${table.title}**\n\n${head}${body}\n${notes ? `${notes}\n` : ''}`;
}

/** Writes bench/results/<name>.json. */
export function writeJson(root: string, name: string, data: unknown): string {
  const dir = resolve(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

export function stamp(m: MachineInfo): string {
  return (
    `Measured ${m.date} on ${m.cpu} × ${m.cores} cores, Node ${m.node}, commit ${m.commit}` +
    `${m.dirty ? ' (with uncommitted changes)' : ''}.`
  );
}

/**
 * Replaces the generated section `name` of BENCHMARKS.md (between its markers), or appends it
 * before the hand-written part. Text outside the markers is never touched.
 */
export function updateBenchmarksMd(root: string, name: string, heading: string, body: string): void {
  const file = resolve(root, 'BENCHMARKS.md');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n## ${heading}\n\n${body.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n<!-- bench:generated -->\n';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) {
    text = text.slice(0, a) + section + text.slice(b + end.length);
  } else {
    const anchor = '<!-- bench:generated -->';
    const at = text.indexOf(anchor);
    text =
      at >= 0 ? `${text.slice(0, at)}${section}\n\n${text.slice(at)}` : `${text.trimEnd()}\n\n${section}\n`;
  }
  writeFileSync(file, text);
}
