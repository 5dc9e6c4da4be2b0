// The architecture and packages diagrams (scripts/diagrams/architecture.ts), and the protocol
// declarations they are drawn from (each layer's src/protocols.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { architectureMermaid, packagesMermaid, type WorkspacePackage } from '../diagrams/architecture';
import { workspacePackages } from '../diagrams/main';
import { PROTOCOLS, type LayerProtocols } from '../../layers/linux/src/trace/stack';
import { protocols as runtimeProtocols } from '../../layers/runtime/src/protocols';
import { protocols as shimProtocols } from '../../layers/shim/src/protocols';
import { protocols as specTestsProtocols } from '../../spec-tests/src/protocols';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const linux: WorkspacePackage = { dir: 'layers/linux', name: '@strata/linux', bins: [], dependencies: ['koffi'] };
const runtime: WorkspacePackage = {
  dir: 'layers/runtime',
  name: '@strata/runtime',
  bins: ['strata-runtime'],
  dependencies: ['@strata/linux'],
  protocols: { binaries: ['strata-runtime'], role: 'OCI runtime', swapsWith: ['runc'], serves: { protocol: PROTOCOLS.runcCli, realCallers: ['containerd-shim-runc-v2', 'podman'] }, uses: [{ protocol: PROTOCOLS.syscalls, realServers: ['Linux kernel'] }] },
};
const shim: WorkspacePackage = {
  dir: 'layers/shim',
  name: '@strata/shim',
  bins: ['containerd-shim-strata-v2'],
  dependencies: ['@strata/linux', '@strata/runtime'],
  protocols: { binaries: ['containerd-shim-strata-v2'], role: 'shim', swapsWith: ['containerd-shim-runc-v2'], serves: { protocol: PROTOCOLS.taskApi, realCallers: ['containerd'] }, uses: [{ protocol: PROTOCOLS.runcCli }] },
};

describe('architectureMermaid', () => {
  const text = architectureMermaid([linux, runtime, shim]);
  it('puts each Strata layer in a row with the real components that can take its place', () => {
    expect(text).toMatch(/subgraph row__strata_shim\["shim"\][\s\S]*pkg__strata_shim\["<b>containerd-shim-strata-v2<\/b><br\/>@strata\/shim"\]:::strata\n\s+real_containerd_shim_runc_v2\["containerd-shim-runc-v2"\]:::real\n\s+end/);
    expect(text).toMatch(/subgraph row__strata_runtime\["OCI runtime"\][\s\S]*real_runc\["runc"\]:::real\n\s+end/);
  });
  it('joins rows by the protocol one uses and the other serves, top to bottom', () => {
    expect(text).toContain('row_callers -- "shim v2:<br/>ttrpc Task API" --> row__strata_shim');
    expect(text).toContain('row__strata_shim -- "runc CLI +<br/>OCI runtime-spec" --> row__strata_runtime');
    expect(text).toContain('row__strata_runtime -- "Linux syscalls" --> row_Linux_kernel');
    expect(text.indexOf('subgraph row__strata_shim')).toBeLessThan(text.indexOf('subgraph row__strata_runtime'));
  });
  it('draws a real caller no row holds as a node of its own, and one already in a row only once', () => {
    expect(text).toContain('real_podman -- "runc CLI +<br/>OCI runtime-spec" --> row__strata_runtime');
    expect(text.match(/real_containerd_shim_runc_v2\[/g)).toHaveLength(1);
  });
  it('leaves libraries out of the stack', () => {
    expect(text).not.toContain('@strata/linux');
  });
  it('refuses protocol declarations that form a cycle', () => {
    const a = { ...shim, protocols: { ...shim.protocols!, uses: [{ protocol: PROTOCOLS.runcCli }] } };
    const b = { ...runtime, protocols: { ...runtime.protocols!, uses: [{ protocol: PROTOCOLS.taskApi }] } };
    expect(() => architectureMermaid([a, b])).toThrow(/cycle/);
  });
});

describe('packagesMermaid', () => {
  it('draws every package with its binaries and npm dependencies, arrows to the packages it uses', () => {
    const text = packagesMermaid([linux, runtime, shim]);
    expect(text).toContain('pkg__strata_linux["<b>@strata/linux</b><br/><small>npm: koffi</small>"]:::library');
    expect(text).toContain('pkg__strata_runtime["<b>@strata/runtime</b><br/>strata-runtime"]:::strata');
    expect(text).toContain('pkg__strata_shim --> pkg__strata_runtime');
    expect(text).toContain('pkg__strata_runtime --> pkg__strata_linux');
  });
});

describe("the layers' protocol declarations", () => {
  const declared: Record<string, LayerProtocols> = { 'layers/runtime': runtimeProtocols, 'layers/shim': shimProtocols, 'spec-tests': specTestsProtocols };
  const pkgs = workspacePackages(repo, declared);
  it('name the binaries their package.json builds', () => {
    for (const p of pkgs.filter((x) => x.protocols)) expect(p.bins).toEqual(expect.arrayContaining(p.protocols!.binaries));
  });
  it('speak protocols that someone serves, from the shared list', () => {
    const known = Object.values(PROTOCOLS) as string[];
    const served = pkgs.flatMap((p) => (p.protocols?.serves ? [p.protocols.serves.protocol] : []));
    for (const p of pkgs.filter((x) => x.protocols)) {
      for (const u of p.protocols!.uses) {
        expect(known).toContain(u.protocol);
        expect(served.includes(u.protocol) || !!u.realServers?.length).toBe(true);
      }
    }
  });
});
