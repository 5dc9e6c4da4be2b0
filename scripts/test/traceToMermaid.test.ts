// Trace -> mermaid sequenceDiagram (scripts/diagrams/traceToMermaid.ts) and the shape the
// diagrams check compares (scripts/diagrams/record.ts).
import { describe, expect, it } from 'vitest';
import { dropDuplicates, escapeLabel, orderRecords, parseTrace, shortDetail, stackOrder, traceToMermaid, type TraceRecord } from '../diagrams/traceToMermaid';
import { normaliseTrace, traceShape } from '../diagrams/record';

let clock = 0;
function rec(from: string, to: string, op: string, extra: Partial<TraceRecord> = {}): TraceRecord {
  clock += 1;
  return { ts: clock, end: clock + 0.5, layer: 'test', from, to, protocol: to === 'kernel' ? 'syscall' : 'ttrpc', op, ids: { container: 'demo' }, result: 'ok', ...extra };
}

describe('parseTrace', () => {
  it('reads JSON lines and skips what is not a record', () => {
    const text = ['{"ts":1,"end":2,"layer":"runtime","from":"strata-runtime","to":"kernel","protocol":"syscall","op":"mount","ids":{},"result":"ok"}', 'garbage', '', '{"no":"fields"}'].join('\n');
    expect(parseTrace(text).map((r) => r.op)).toEqual(['mount']);
  });
});

describe('ordering and duplicates', () => {
  it('orders by start; at equal starts the outer (longer) call first', () => {
    const inner = { ...rec('shim', 'strata-runtime', 'create'), ts: 10, end: 11 };
    const outer = { ...rec('containerd', 'shim', 'Task.Create'), ts: 10, end: 20 };
    expect(orderRecords([inner, outer]).map((r) => r.op)).toEqual(['Task.Create', 'create']);
  });
  it("drops a callee's own record of a call its caller recorded", () => {
    const caller = { ...rec('containerd-shim-strata-v2', 'strata-runtime', 'create', { protocol: 'runc-cli' }), ts: 1, end: 10 };
    const callee = { ...caller, from: 'containerd-shim-strata-v2', ts: 2, end: 9, by: 'callee' };
    const alone = { ...callee, op: 'start', ts: 11, end: 12 };
    expect(dropDuplicates([caller, callee, alone])).toEqual([caller, alone]);
  });
});

describe('participants', () => {
  it('are in stack order whatever order they appear in', () => {
    const records = [rec('strata-runtime', 'kernel', 'clone'), rec('containerd-shim-strata-v2', 'strata-runtime', 'create'), rec('ctr', 'containerd', 'run'), rec('containerd', 'containerd-shim-strata-v2', 'Task.Create')];
    expect(stackOrder(records)).toEqual(['ctr', 'containerd', 'containerd-shim-strata-v2', 'strata-runtime', 'kernel']);
  });
  it('place an unknown program above what it calls', () => {
    expect(stackOrder([rec('strata-runtime', 'kernel', 'clone'), rec('my-tool', 'strata-runtime', 'run')])).toEqual(['my-tool', 'strata-runtime', 'kernel']);
  });
});

describe('traceToMermaid', () => {
  const run = [
    rec('sh', 'strata-runtime', 'run', { protocol: 'runc-cli', ts: 0, end: 100, detail: 'exit status 0', by: 'callee' }),
    rec('strata-runtime', 'kernel', 'mkdir', { detail: 'cgroup: /demo in each hierarchy', count: 9, by: 'strata-runtime' }),
    rec('strata-runtime', 'kernel', 'clone', { detail: 'new namespaces: mnt pid', by: 'strata-init' }),
    ...['/proc (proc)', '/dev (tmpfs)', '/sys (sysfs)'].map((d) => rec('strata-runtime', 'kernel', 'mount', { detail: d, by: 'child' })),
    rec('strata-runtime', 'kernel', 'pivot_root', { detail: 'rootfs becomes /: /var/lib/strata/bundles/busybox/rootfs', by: 'child' }),
    rec('strata-runtime', 'kernel', 'mount', { detail: '/proc/kcore (masked with /dev/null)', by: 'child' }),
    rec('strata-runtime', 'kernel', 'execve', { detail: 'sh -c echo hi; exit 3', by: 'child' }),
  ];
  const text = traceToMermaid(run, { title: 'strata-runtime run: a test' });

  it('draws one arrow per call, grouping runs of the same call', () => {
    expect(text).toContain('sh->>strata_runtime: strata-runtime run\n');
    expect(text).toContain('strata_runtime->>kernel: mkdir cgroup ×9');
    expect(text).toContain('strata_runtime->>kernel: mount ×3');
    expect(text).toContain('strata_runtime->>kernel: pivot_root rootfs becomes /\n');
    expect(text).toContain('strata_runtime->>kernel: mount /proc/kcore (masked with /dev/null)');
  });
  it('keeps the order of the calls', () => {
    const at = (s: string) => text.indexOf(s);
    expect(at('clone')).toBeLessThan(at('mount ×3'));
    expect(at('mount ×3')).toBeLessThan(at('pivot_root'));
    expect(at('pivot_root')).toBeLessThan(at('execve'));
  });
  it("answers the outermost command with how it ended, and says who made each run of calls", () => {
    expect(text.trimEnd().split('\n').pop()).toBe('    strata_runtime-->>sh: ok, exit status 0');
    expect(text).toContain('Note over strata_runtime,kernel: by strata-init');
    expect(text.match(/by child/g)).toHaveLength(1);
  });
  it('escapes what mermaid reserves and quotes the title', () => {
    expect(text).toContain('execve sh -c echo hi#59; exit 3');
    expect(text.startsWith('---\ntitle: "strata-runtime run: a test"\n---\nsequenceDiagram\n')).toBe(true);
    expect(escapeLabel('a <b> #c')).toBe('a #lt;b#gt; #35;c');
  });
  it('boxes each participant with its role, Strata or real', () => {
    expect(text).toMatch(/box rgb\([\d,]+\) client: real\n\s+participant sh as sh/);
    expect(text).toMatch(/box rgb\([\d,]+\) OCI runtime: Strata\n\s+participant strata_runtime as strata-runtime/);
  });
  it('draws failures as replies with the error', () => {
    const failed = traceToMermaid([rec('containerd', 'containerd-shim-strata-v2', 'Task.Start', { result: 'error: OCI runtime start failed: boom' })]);
    expect(failed).toContain('containerd_shim_strata_v2-->>containerd: error: OCI runtime start failed: boom');
    expect(failed).toContain('Note over containerd,containerd_shim_strata_v2: containerd is real and writes no trace');
  });
  it('shows a long detail by its summary', () => {
    expect(shortDetail('cgroup.procs: join the cgroup /sys/fs/cgroup/cpu,cpuacct/a/very/long/path')).toBe('cgroup.procs');
    expect(shortDetail('/proc (proc)')).toBe('/proc (proc)');
  });
});

describe('the shape the check compares', () => {
  const a = [
    rec('containerd', 'containerd-shim-strata-v2', 'Task.Connect'),
    rec('containerd', 'containerd-shim-strata-v2', 'Task.Start'),
    rec('strata-runtime', 'kernel', 'mount', { by: 'child' }),
    rec('strata-runtime', 'kernel', 'pivot_root', { by: 'child' }),
  ];
  it('ignores times and how concurrent programs interleave', () => {
    const b = [{ ...a[1], ts: 1 }, { ...a[0], ts: 2 }, { ...a[2], ts: 0.5 }, { ...a[3], ts: 3 }];
    expect(traceShape(b)).toBe(traceShape(a));
  });
  it("sees a change in the order of one Strata program's own calls", () => {
    const swapped = [a[0], a[1], { ...a[2], ts: a[3].ts + 1 }, a[3]];
    expect(traceShape(swapped)).not.toBe(traceShape(a));
  });
  it('sees a call more or less', () => {
    expect(traceShape(a.slice(1))).not.toBe(traceShape(a));
  });
  it('normalises times and machine-specific strings', () => {
    const n = normaliseTrace([{ ...a[2], ts: 1000.1234, end: 1000.5, detail: '/tmp/strata-diagrams-x1/root (bind)' }, { ...a[3], ts: 1001, end: 1001 }], [['/tmp/strata-diagrams-x1', '<private dir>']]);
    expect(n.map((r) => [r.ts, r.end, r.detail ?? ''])).toEqual([[0, 0.377, '<private dir>/root (bind)'], [0.877, 0.877, '']]);
  });
});
