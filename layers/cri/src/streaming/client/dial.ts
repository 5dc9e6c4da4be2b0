// Client side of the upgrade: an HTTP/1.1 request asking to switch protocols, the answer checked
// (101 + the protocol the server picked), and the raw socket handed back. A refusal becomes a
// StreamingError carrying the HTTP status and the server's explanation.
import http from 'node:http';
import type { Socket } from 'node:net';
import { StreamingError } from '../errors';
import { HEADER_PROTOCOL_VERSION, SPDY_UPGRADE } from '../protocols';
import { acceptKey, newClientKey } from '../websocket/handshake';

export interface Dialed {
  socket: Socket;
  head: Buffer;
  /** The negotiated subprotocol ('' when none). */
  protocol: string;
}

export function dialUpgrade(rawUrl: string, transport: 'spdy' | 'websocket', protocols: readonly string[], timeoutMs = 30_000): Promise<Dialed> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return Promise.reject(new StreamingError(`url: not a valid URL: ${JSON.stringify(rawUrl)}`, 400));
  }
  if (url.protocol !== 'http:') return Promise.reject(new StreamingError(`url: only http:// streaming URLs are supported (got ${url.protocol})`, 400));
  const key = newClientKey();
  const headers: Record<string, string | string[]> =
    transport === 'spdy'
      ? { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [HEADER_PROTOCOL_VERSION]: [...protocols] }
      : { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': protocols.join(', ') };
  return new Promise<Dialed>((resolve, reject) => {
    // client-go sends exec/attach/portforward upgrades as POST; websockets must be GET (RFC 6455 4.1)
    const req = http.request(url, { method: transport === 'spdy' ? 'POST' : 'GET', headers, agent: false, timeout: timeoutMs });
    req.on('timeout', () => req.destroy(new StreamingError(`timed out connecting to ${url.host}`)));
    req.on('error', (e) => reject(e instanceof StreamingError ? e : new StreamingError(`cannot connect to ${url.host}: ${e.message}`)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString().trim();
        reject(new StreamingError(`unable to upgrade connection: ${res.statusCode} ${res.statusMessage}${body ? `: ${body}` : ''}`, res.statusCode ?? 500));
      });
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      if (transport === 'spdy') {
        const protocol = String(res.headers[HEADER_PROTOCOL_VERSION.toLowerCase()] ?? '');
        if (!protocols.includes(protocol)) {
          socket.destroy();
          return reject(new StreamingError(`server chose protocol ${JSON.stringify(protocol)}, which was not offered (${protocols.join(', ')})`));
        }
        return resolve({ socket, head, protocol });
      }
      if (res.headers['sec-websocket-accept'] !== acceptKey(key)) {
        socket.destroy();
        return reject(new StreamingError('websocket: server answered with a wrong Sec-WebSocket-Accept'));
      }
      const protocol = String(res.headers['sec-websocket-protocol'] ?? '');
      if (protocol !== '' && !protocols.includes(protocol)) {
        socket.destroy();
        return reject(new StreamingError(`websocket: server chose subprotocol ${JSON.stringify(protocol)}, which was not offered`));
      }
      resolve({ socket, head, protocol });
    });
    req.end();
  });
}
