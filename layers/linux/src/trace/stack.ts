// Where a layer sits in the container stack, as data: what it plays, which protocol it serves to
// the layer above, which ones it speaks to the layers below, and which real components take its
// place. Each layer exports one of these from src/protocols.ts; scripts/diagrams draws
// diagrams/architecture.mmd from them and from the workspace's package.json files.
//
// Protocol names are matched exactly: a layer that `uses` "runc CLI + OCI runtime-spec" sits
// above the layer that `serves` it. Keep the names in PROTOCOLS so they cannot drift apart.

export const PROTOCOLS = {
  syscalls: 'Linux syscalls',
  runcCli: 'runc CLI + OCI runtime-spec',
  taskApi: 'shim v2: ttrpc Task API',
  containerdApi: 'containerd gRPC API',
  cri: 'CRI v1 gRPC',
  dockerApi: 'Docker Engine API',
} as const;

export type ProtocolName = (typeof PROTOCOLS)[keyof typeof PROTOCOLS];

export interface LayerProtocols {
  /** The binaries this package builds (empty for a library). */
  binaries: string[];
  /** In one line, what it is. */
  role: string;
  /** Real components that speak the same protocols and can take its place. */
  swapsWith: string[];
  /** The protocol it serves to the layer above, with the real programs known to call it. */
  serves?: { protocol: ProtocolName; realCallers: string[] };
  /** The protocols it speaks to the layers below; realServers when no Strata layer serves it. */
  uses: { protocol: ProtocolName; realServers?: string[] }[];
}
