// Shared by both transports: validate the requested port and run one forwarded connection.
import type { Duplex } from 'node:stream';
import type { PortForwardRequest, StreamingRuntime } from '../types';

/** The port number, or the error text for the client (the kubelet's messages). */
export function parsePort(value: string | undefined, req: PortForwardRequest): number | string {
  if (value === undefined) return 'port header is required';
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) return `invalid port: ${JSON.stringify(value)} (must be 1-65535)`;
  const port = Number(value);
  // The CRI PortForwardRequest lists the ports this URL was issued for; others are refused.
  if (req.port && req.port.length > 0 && !req.port.includes(port)) return `port ${port} was not requested for this port-forward session (requested: ${req.port.join(', ')})`;
  return port;
}

/** Run the runtime's forward; returns an error message for the error stream, or undefined. */
export async function forwardOne(runtime: StreamingRuntime, podSandboxId: string, port: number, conn: Duplex): Promise<string | undefined> {
  try {
    await runtime.portForwardStream(podSandboxId, port, conn);
    return undefined;
  } catch (e) {
    return `error forwarding port ${port} to pod ${podSandboxId}: ${(e as Error).message}`;
  }
}
