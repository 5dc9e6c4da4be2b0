// The opening handshake (RFC 6455 section 4): the client sends a random 16-byte
// Sec-WebSocket-Key; the server proves it understood by answering with
// base64(SHA-1(key + the fixed GUID)) in Sec-WebSocket-Accept, plus the one subprotocol it picked.
import { createHash, randomBytes } from 'node:crypto';

export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(clientKey: string): string {
  return createHash('sha1').update(clientKey + WEBSOCKET_GUID).digest('base64');
}

export function newClientKey(): string {
  return randomBytes(16).toString('base64');
}

/** A well-formed key is 16 bytes, base64-encoded (section 4.2.1 item 5). */
export function validClientKey(key: string | undefined): key is string {
  return typeof key === 'string' && /^[A-Za-z0-9+/]{22}==$/.test(key);
}
