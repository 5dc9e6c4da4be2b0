// Human and JSON output in runc's formats.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { ListEntry } from '../operations/types';

export function printJson(v: unknown): void {
  fs.writeSync(1, `${JSON.stringify(v, null, 2)}\n`);
}

/** Go's text/tabwriter as runc list uses it: minwidth 12, padding 1, space-padded. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(12, ...rows.map((r) => r[i].length + 1)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('')).join('\n') + '\n';
}

export function printList(entries: ListEntry[], format: string, quiet: boolean): void {
  if (quiet) {
    fs.writeSync(1, entries.map((e) => `${e.id}\n`).join(''));
    return;
  }
  if (format === 'json') {
    fs.writeSync(1, `${JSON.stringify(entries.map((e) => ({ ociVersion: '1.2.0', id: e.id, pid: e.pid, status: e.status, bundle: e.bundle, rootfs: e.rootfs, created: e.created, owner: e.owner, annotations: e.annotations ?? null })))}\n`);
    return;
  }
  fs.writeSync(1, table([['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...entries.map((e) => [e.id, String(e.pid), e.status, e.bundle, e.created, e.owner])]));
}

/** runc ps: JSON is the pid list; the table is `ps -ef` (or the given ps args) filtered to our pids. */
export function printPs(pids: number[], format: string, psArgs: string[]): void {
  if (format === 'json') {
    fs.writeSync(1, `${JSON.stringify(pids)}\n`);
    return;
  }
  const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  const lines = r.stdout.split('\n').filter(Boolean);
  const header = lines[0] ?? '';
  const col = header.trim().split(/\s+/).indexOf('PID');
  const keep = lines.slice(1).filter((l) => pids.includes(Number(l.trim().split(/\s+/)[col])));
  fs.writeSync(1, [header, ...keep].join('\n') + '\n');
}
