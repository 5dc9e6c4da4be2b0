// The workspace as two diagrams, both drawn from code:
//   - diagrams/architecture.mmd, the stack at run time: each layer's src/protocols.ts (a
//     LayerProtocols: what it serves to the layer above, what it uses below, which real components
//     take its place) and its package.json (binaries, package name). A row is one interface of the
//     stack: the Strata component and the real ones that can take its place side by side; arrows
//     between rows are the protocols.
//   - diagrams/packages.mmd, the code at build time: every workspace package, its binaries and
//     its package.json dependencies (Strata packages as boxes, npm packages in the labels).
// One picture with both kinds of arrows was tried and was unreadable: the dependency arrows
// (everything uses @strata/linux and @strata/oci) crossed every protocol arrow.
import type { LayerProtocols } from '../../layers/linux/src/trace/stack';

export interface WorkspacePackage {
  /** Directory relative to the repository, e.g. layers/runtime. */
  dir: string;
  /** package.json name, e.g. @strata/runtime. */
  name: string;
  /** package.json bin names. */
  bins: string[];
  /** package.json dependencies (names). */
  dependencies: string[];
  protocols?: LayerProtocols;
}

const id = (prefix: string, s: string) => `${prefix}_${s.replace(/[^A-Za-z0-9]/g, '_')}`;
const quote = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
/** An arrow's label, broken where a person would: "runc CLI +<br/>OCI runtime-spec". */
const edgeLabel = (protocol: string) => quote(protocol.replace(/: /g, ':<br/>').replace(/ \+ /g, ' +<br/>'));

/** The stack: rows of swappable components, protocol arrows between them. */
export function architectureMermaid(pkgs: readonly WorkspacePackage[]): string {
  const layers = pkgs.filter((p) => p.protocols);
  const servers = layers.filter((p) => p.protocols!.serves);
  const serverOf = (protocol: string) => servers.find((s) => s.protocols!.serves!.protocol === protocol);

  // Depth: how many Strata layers lie below (the kernel row is 0). The top row has the largest.
  const depth = new Map<string, number>();
  const depthOf = (p: WorkspacePackage, seen: string[] = []): number => {
    if (depth.has(p.name)) return depth.get(p.name)!;
    if (seen.includes(p.name)) throw new Error(`protocols.ts of ${seen.join(' -> ')} -> ${p.name} form a cycle`);
    let d = 1;
    for (const u of p.protocols!.uses) {
      const s = serverOf(u.protocol);
      if (s) d = Math.max(d, depthOf(s, [...seen, p.name]) + 1);
    }
    depth.set(p.name, d);
    return d;
  };
  const rows = [...servers].sort((a, b) => depthOf(b) - depthOf(a) || a.name.localeCompare(b.name));

  // Top to bottom as the calls go. ELK lays the rows out more compactly than mermaid's default.
  const lines = [...frontMatter("The stack: Strata's components (blue) beside the real ones that can take their place (yellow)"), 'flowchart TB'];
  const placed = new Set<string>();
  const pkgNode = (p: WorkspacePackage) => id('pkg', p.name);
  const pkgLabel = (p: WorkspacePackage) => `<b>${p.bins.join(', ')}</b><br/>${p.name}`;

  // Real callers of the top row's protocol that no row holds: a row of their own above it.
  const inRows = new Set(rows.flatMap((r) => r.protocols!.swapsWith));
  const edges: string[] = [];
  const top = rows[0];
  if (top && !layers.some((l) => l.protocols!.uses.some((u) => u.protocol === top.protocols!.serves!.protocol))) {
    const callers = top.protocols!.serves!.realCallers.filter((c) => !inRows.has(c));
    if (callers.length) {
      lines.push(`    subgraph ${id('row', 'callers')}[${quote(`the ${top.protocols!.role}'s caller`)}]`);
      for (const c of callers) {
        lines.push(`        ${id('real', c)}[${quote(c)}]:::real`);
        placed.add(c);
      }
      lines.push('    end');
      edges.push(`    ${id('row', 'callers')} -- ${edgeLabel(top.protocols!.serves!.protocol)} --> ${id('row', top.name)}`);
    }
  }
  for (const r of rows) {
    const p = r.protocols!;
    lines.push(`    subgraph ${id('row', r.name)}[${quote(p.role)}]`);
    lines.push('        direction LR');
    lines.push(`        ${pkgNode(r)}[${quote(pkgLabel(r))}]:::strata`);
    for (const real of p.swapsWith) {
      lines.push(`        ${id('real', real)}[${quote(real)}]:::real`);
      placed.add(real);
    }
    lines.push('    end');
  }
  // The rows of real servers below the last Strata layer (the kernel).
  for (const l of layers) {
    for (const u of l.protocols!.uses) {
      if (serverOf(u.protocol) || !u.realServers?.length) continue;
      const row = id('row', u.realServers.join('_'));
      if (!lines.some((x) => x.includes(`subgraph ${row}[`))) {
        lines.push(`    subgraph ${row}[${quote(u.protocol === 'Linux syscalls' ? 'kernel' : u.realServers.join(', '))}]`);
        for (const s of u.realServers) lines.push(`        ${id('real', s)}[${quote(s)}]:::kernel`);
        lines.push('    end');
      }
    }
  }
  // Protocol arrows: from a caller's row (or node, for a layer that serves nothing) to the row
  // that serves the protocol; other real callers (podman) as nodes of their own.
  for (const l of layers) {
    const from = l.protocols!.serves ? id('row', l.name) : pkgNode(l);
    for (const u of l.protocols!.uses) {
      const s = serverOf(u.protocol);
      const to = s ? id('row', s.name) : u.realServers?.length ? id('row', u.realServers.join('_')) : undefined;
      if (to) edges.push(`    ${from} -- ${edgeLabel(u.protocol)} --> ${to}`);
    }
    for (const c of l.protocols!.serves?.realCallers ?? []) {
      if (placed.has(c)) continue;
      lines.push(`    ${id('real', c)}[${quote(c)}]:::real`);
      placed.add(c);
      edges.push(`    ${id('real', c)} -- ${edgeLabel(l.protocols!.serves!.protocol)} --> ${id('row', l.name)}`);
    }
  }
  // Layers that serve nothing (a test driver) stand beside the rows.
  for (const l of layers.filter((x) => !x.protocols!.serves)) lines.push(`    ${pkgNode(l)}[${quote(pkgLabel(l))}]:::strata`);
  lines.push(...edges);
  lines.push(...CLASSES);
  return `${lines.join('\n')}\n`;
}

/** A title, and ELK (more compact than mermaid's default layout), and names on one line. */
const frontMatter = (title: string) => ['---', `title: ${JSON.stringify(title)}`, 'config:', '  layout: elk', '  flowchart:', '    wrappingWidth: 320', '---'];

const CLASSES = [
  '    classDef strata fill:#e1eeff,stroke:#4a78c2,color:#111',
  '    classDef real fill:#fff3d6,stroke:#c99a2e,color:#111',
  '    classDef kernel fill:#eeeeee,stroke:#888888,color:#111',
  '    classDef library fill:#f4f4f4,stroke:#999999,color:#111',
];

/** The workspace packages and their package.json dependencies (arrows point down, to what is used). */
export function packagesMermaid(pkgs: readonly WorkspacePackage[]): string {
  const lines = [...frontMatter('The npm workspace: each package points to the packages it depends on (package.json)'), 'flowchart TB'];
  const node = (p: WorkspacePackage) => id('pkg', p.name);
  for (const p of pkgs) {
    const npm = p.dependencies.filter((d) => !pkgs.some((q) => q.name === d));
    const head = p.bins.length ? `<b>${p.name}</b><br/>${p.bins.join(', ')}` : `<b>${p.name}</b>`;
    const label = npm.length ? `${head}<br/><small>npm: ${npm.join(', ')}</small>` : head;
    lines.push(`    ${node(p)}[${quote(label)}]:::${p.bins.length ? 'strata' : 'library'}`);
  }
  for (const p of pkgs) {
    for (const d of p.dependencies) {
      const q = pkgs.find((x) => x.name === d);
      if (q) lines.push(`    ${node(p)} --> ${node(q)}`);
    }
  }
  lines.push(...CLASSES);
  return `${lines.join('\n')}\n`;
}
