// Protocol names spoken over the upgraded connection, and how a server picks one. These strings
// are the wire contract with kubectl/crictl (k8s.io/apimachinery/pkg/util/remotecommand and
// k8s.io/kubelet/pkg/cri/streaming): a mismatch means the client refuses the connection.

/** HTTP header a SPDY client lists its remotecommand/portforward versions in (may repeat, comma lists). */
export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
/** Sent back with a 403 when no version matches, so the client can say what the server accepts. */
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';
/** The Upgrade token of SPDY/3.1 over HTTP/1.1. */
export const SPDY_UPGRADE = 'SPDY/3.1';

export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io'; // v4 + the stream CLOSE signal (websocket only)
export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io'; // error stream carries a metav1.Status JSON
export const STREAM_PROTOCOL_V3 = 'v3.channel.k8s.io'; // adds the resize stream
export const STREAM_PROTOCOL_V2 = 'v2.channel.k8s.io'; // error stream always present, text errors
export const PORTFORWARD_PROTOCOL = 'portforward.k8s.io';

/**
 * What this server speaks for exec/attach over SPDY, most preferred first (the client's order wins
 * the negotiation, see negotiate()). v1 ("channel.k8s.io", pre-2016 clients with a different stream
 * set) is deliberately not offered; such a client gets a 403 naming the versions we accept.
 */
export const REMOTECOMMAND_PROTOCOLS_SPDY = [STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V3, STREAM_PROTOCOL_V2] as const;

/**
 * Websocket subprotocols for exec/attach. "" is what a client that sends no Sec-WebSocket-Protocol
 * gets (binary channels, text errors), like the kubelet's wsstream defaults. The base64 variants
 * carry the channel as an ASCII digit and the payload base64-encoded in text frames (for browsers).
 */
export const REMOTECOMMAND_PROTOCOLS_WEBSOCKET = [
  STREAM_PROTOCOL_V5,
  STREAM_PROTOCOL_V4,
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

/** Websocket subprotocols for port forwarding (kubelet: v4 binary/base64, plus the bare name). */
export const PORTFORWARD_PROTOCOLS_WEBSOCKET = [STREAM_PROTOCOL_V4, 'v4.base64.channel.k8s.io', PORTFORWARD_PROTOCOL] as const;

/** Parse repeated, comma-separated header values into a list (empty items dropped). */
export function headerList(value: string | string[] | undefined): string[] {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The first protocol in the client's list that the server also speaks, or undefined. */
export function negotiate(client: readonly string[], server: readonly string[]): string | undefined {
  return client.find((p) => server.includes(p));
}

export interface ChannelProtocol {
  /** Protocol generation: 5 adds CLOSE, 4 = Status JSON errors, 1 = text errors ("channel.k8s.io", ""). */
  version: 1 | 4 | 5;
  base64: boolean;
}

export function describeWebsocketProtocol(name: string): ChannelProtocol {
  const base64 = name.includes('base64.');
  const version = name.startsWith('v5.') ? 5 : name.startsWith('v4.') || name === PORTFORWARD_PROTOCOL ? 4 : 1;
  return { version, base64 };
}

/** Remotecommand protocol version number of a SPDY protocol name (v2..v4). */
export function spdyVersion(name: string): number {
  const m = /^v(\d)\.channel\.k8s\.io$/.exec(name);
  return m ? Number(m[1]) : 1;
}
