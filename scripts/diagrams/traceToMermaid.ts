// A trace (STRATA_TRACE JSON lines, see layers/linux/src/trace/trace.ts) as a mermaid
// sequenceDiagram: who called whom, in the order it happened, drawn from a real run.
//
//   - Participants are the binaries that took part, in stack order (clients, engine, CRI,
//     containerd/strata-manager, shims, OCI runtimes, kernel), each in a box naming its role and
//     whether it is Strata's or the real component, so a run with runc or the real containerd
//     swapped in shows which box changed.
//   - One arrow per call, labelled with the operation, at the moment the call started. Replies are
//     drawn for failures (with the error) and for the outermost command (how it ended).
//   - Runs of the same call (27 mounts in a row) become one arrow: "mount ×27".
//   - A call recorded twice (by the caller and, as "callee", by the program it called) is drawn once.
import type { TraceRecord } from '../../layers/linux/src/trace/trace';

export type { TraceRecord };

/** The stack, top to bottom: a participant's row is the first pattern its name matches. */
export const STACK_ROLES: { role: string; names: RegExp }[] = [
  { role: 'client', names: /^(sh|bash|zsh|dash|shell|ctr|strata-ctr|strata|nerdctl|docker|crictl|kubectl|podman|critest|strata-spec-tests)$/ },
  { role: 'engine', names: /^(dockerd|strata-engine)$/ },
  { role: 'CRI', names: /^(strata-cri|crio|cri-o)$/ },
  { role: 'container manager', names: /^(containerd|strata-manager)$/ },
  { role: 'shim', names: /^(containerd-shim.*|conmon)$/ },
  { role: 'OCI runtime', names: /^(strata-runtime|runc|crun|youki|runsc)$/ },
  // CRIU, which the runtimes run for checkpoint and restore (checkpoint-containerd-shim-runtime).
  { role: 'checkpoint/restore', names: /^criu$/ },
  { role: 'kernel', names: /^kernel$/ },
];

/** Strata's own programs (the others are the real components). */
export const isStrata = (name: string) => /^(strata|containerd-shim-strata)/.test(name);

/** Parses JSON lines; lines that are not trace records are skipped. */
export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as TraceRecord;
      if (typeof r.ts === 'number' && typeof r.from === 'string' && typeof r.to === 'string' && typeof r.op === 'string') out.push({ ...r, ids: r.ids ?? {}, end: r.end ?? r.ts, result: r.result ?? 'ok' });
    } catch {
      // not JSON: ignore
    }
  }
  return out;
}

/** In the order the calls started; at equal times the longer (outer) call first. */
export function orderRecords(records: readonly TraceRecord[]): TraceRecord[] {
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.ts - b.r.ts || b.r.end - b.r.ts - (a.r.end - a.r.ts) || a.i - b.i)
    .map((x) => x.r);
}

/**
 * Drops a callee's own record ("by":"callee") of a call that its caller recorded too: same
 * callee, protocol, operation and container, within the caller's time span.
 */
export function dropDuplicates(records: readonly TraceRecord[]): TraceRecord[] {
  return records.filter(
    (r) =>
      r.by !== 'callee' ||
      !records.some((c) => c !== r && c.by !== 'callee' && c.to === r.to && c.protocol === r.protocol && c.op === r.op && c.ids?.container === r.ids?.container && c.ts <= r.ts + 1 && r.end <= c.end + 1),
  );
}

/** Participants in stack order; a name no role matches sits just above what it calls. */
export function stackOrder(records: readonly TraceRecord[]): string[] {
  const names: string[] = [];
  for (const r of records) for (const n of [r.from, r.to]) if (!names.includes(n)) names.push(n);
  const known = (n: string) => STACK_ROLES.findIndex((s) => s.names.test(n));
  const rank = new Map<string, number>();
  for (const n of names) if (known(n) >= 0) rank.set(n, known(n));
  for (const n of names) {
    if (rank.has(n)) continue;
    const callee = records.find((r) => r.from === n && rank.has(r.to));
    const caller = records.find((r) => r.to === n && rank.has(r.from));
    rank.set(n, callee ? rank.get(callee.to)! - 0.5 : caller ? rank.get(caller.from)! + 0.5 : -1);
  }
  return names.map((n, i) => ({ n, i })).sort((a, b) => rank.get(a.n)! - rank.get(b.n)! || a.i - b.i).map((x) => x.n);
}

export function roleOf(name: string): string {
  return STACK_ROLES.find((s) => s.names.test(name))?.role ?? 'other';
}

/** The part of a detail a diagram shows: all of it when short, else its summary (before ": "). */
export function shortDetail(detail: string | undefined, max = 40): string {
  if (!detail) return '';
  if (detail.length <= max) return detail;
  const colon = detail.indexOf(': ');
  if (colon > 0 && colon <= max) return detail.slice(0, colon);
  return `${detail.slice(0, max - 1).trimEnd()}…`;
}

function summaryOf(detail: string | undefined): string {
  if (!detail) return '';
  const colon = detail.indexOf(': ');
  return colon > 0 ? detail.slice(0, colon) : detail;
}

interface Arrow {
  kind: 'call' | 'reply';
  from: string;
  to: string;
  label: string;
  /** For grouping calls: the same key in a row collapses into one arrow. */
  key?: string;
  /** A call whose end is drawn as a reply arrow. */
  replied?: boolean;
  records: TraceRecord[];
}

/** Mermaid message text: entity codes for what its grammar reserves. */
export function escapeLabel(s: string): string {
  const codes: Record<string, string> = { '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;' };
  return s.replace(/[#;<>]/g, (c) => codes[c]).replace(/\s+/g, ' ').trim();
}

const idOf = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

/** Protocols whose calls are runs of a binary. */
const COMMAND_LINE = new Set(['runc-cli', 'shim-cli', 'criu-cli']);

function callLabel(group: TraceRecord[], replied: boolean): string {
  const n = group.reduce((s, r) => s + (r.count ?? 1), 0);
  const first = group[0];
  // "exit status 3" tells how a call ended: on a call that gets a reply arrow, it goes there.
  const detail = replied && /^exit status/.test(first.detail ?? '') ? undefined : first.detail;
  // A command line protocol reads best as the command: "strata-runtime create", "runc start".
  const op = COMMAND_LINE.has(first.protocol) ? `${first.to} ${first.op}` : first.op;
  if (n === 1) return [op, shortDetail(detail)].filter(Boolean).join(' ');
  const summaries = new Set(group.map((r) => summaryOf(r.detail)));
  const summary = summaries.size === 1 ? [...summaries][0] : '';
  return [op, summary.length <= 30 ? summary : '', `×${n}`].filter(Boolean).join(' ');
}

export interface SequenceOptions {
  /** A title above the diagram. */
  title?: string;
}

/** The trace as a mermaid sequenceDiagram (deterministic: times only order the arrows). */
export function traceToMermaid(input: readonly TraceRecord[], o: SequenceOptions = {}): string {
  const records = orderRecords(dropDuplicates(input));
  const people = stackOrder(records);
  const clients = new Set(people.filter((p) => roleOf(p) === 'client'));

  // Calls at their start, replies (failures; the outermost command's outcome) at their end.
  type Ev = { t: number; seq: number; arrow: Arrow };
  const evs: Ev[] = [];
  records.forEach((r, i) => {
    const key = JSON.stringify([r.from, r.to, r.protocol, r.op, r.result, r.by ?? '']);
    const failed = r.result !== 'ok';
    const replied = failed || clients.has(r.from);
    evs.push({ t: r.ts, seq: i * 2, arrow: { kind: 'call', from: r.from, to: r.to, label: '', key, records: [r], replied } });
    if (replied) {
      const outcome = failed ? r.result : ['ok', r.detail && /^exit/.test(r.detail) ? r.detail : ''].filter(Boolean).join(', ');
      evs.push({ t: r.end, seq: i * 2 + 1, arrow: { kind: 'reply', from: r.to, to: r.from, label: outcome, records: [r] } });
    }
  });
  evs.sort((a, b) => a.t - b.t || a.seq - b.seq);

  // Runs of the same call become one arrow.
  const arrows: Arrow[] = [];
  for (const { arrow } of evs) {
    const last = arrows[arrows.length - 1];
    if (arrow.kind === 'call' && last?.kind === 'call' && last.key === arrow.key) last.records.push(...arrow.records);
    else arrows.push(arrow);
  }

  const lines = ['sequenceDiagram'];
  if (o.title) lines.unshift('---', `title: ${JSON.stringify(o.title)}`, '---');
  // Each participant in a box naming its role, Strata's and the real components told apart.
  for (const p of people) {
    const strata = isStrata(p);
    const role = roleOf(p);
    const boxLabel = role === 'kernel' ? 'Linux' : `${role === 'other' ? 'program' : role}: ${strata ? 'Strata' : 'real'}`;
    lines.push(`    box ${strata ? 'rgb(225,238,255)' : role === 'kernel' ? 'rgb(240,240,240)' : 'rgb(255,243,214)'} ${boxLabel}`);
    lines.push(`        participant ${idOf(p)} as ${p}`);
    lines.push('    end');
  }
  // Real programs write no trace lines: say so, or a student looks for their missing calls.
  const silent = people.filter((p) => !isStrata(p) && !['client', 'kernel'].includes(roleOf(p)));
  if (silent.length) {
    const names = silent.join(' and ');
    lines.push(`    Note over ${idOf(people[0])},${idOf(people[people.length - 1])}: ${escapeLabel(`${names} ${silent.length > 1 ? 'are' : 'is'} real and write${silent.length > 1 ? '' : 's'} no trace: only ${silent.length > 1 ? 'their' : 'its'} calls to and from Strata's programs appear`)}`);
  }
  const lastBy = new Map<string, string>();
  for (const a of arrows) {
    const r = a.records[0];
    if (a.kind === 'call') {
      // Which process of a layer made these calls, when it has several (strata-init parent/child).
      const by = r.by && r.by !== 'callee' ? r.by : '';
      if (by && lastBy.get(a.from) !== by) lines.push(`    Note over ${idOf(a.from)},${idOf(a.to)}: ${escapeLabel(`by ${by}`)}`);
      lastBy.set(a.from, by);
      lines.push(`    ${idOf(a.from)}->>${idOf(a.to)}: ${escapeLabel(callLabel(a.records, !!a.replied))}`);
    } else {
      lines.push(`    ${idOf(a.from)}-->>${idOf(a.to)}: ${escapeLabel(a.label)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
