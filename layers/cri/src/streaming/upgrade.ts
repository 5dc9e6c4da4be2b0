// The HTTP/1.1 side of the streaming endpoints: plain error answers written straight onto the
// socket (an 'upgrade' request has no ServerResponse in Node), and the 101 Switching Protocols.
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export function writeHttpError(socket: Duplex, status: number, message: string, headers: Record<string, string | string[]> = {}): void {
  const body = Buffer.from(message + '\n');
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    `Content-Length: ${body.length}`,
    'Connection: close',
  ];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  if (!socket.destroyed) socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]));
}

export function writeSwitchingProtocols(socket: Duplex, headers: Record<string, string>): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}

/** Does the request ask to upgrade to `protocol` (case-insensitive token match)? */
export function wantsUpgrade(req: IncomingMessage, protocol: string): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  return connection.split(',').some((t) => t.trim() === 'upgrade') && upgrade.split(',').some((t) => t.trim() === protocol.toLowerCase());
}
