// One-time, expiring tokens: the URL returned by Exec/Attach/PortForward is the only credential
// the streaming endpoint checks (the kubelet's streaming server does the same, request_cache.go),
// so a token must be unguessable, usable once, and short-lived (1 minute by default).
import { randomBytes } from 'node:crypto';
import { StreamingError } from './errors';
import type { StreamKind } from './types';

export interface CachedRequest {
  kind: StreamKind;
  req: object;
  expiresAt: number;
}

export const DEFAULT_TOKEN_TTL_MS = 60_000;
/** Bound on outstanding tokens, so a caller that never connects cannot grow memory without end. */
export const MAX_IN_FLIGHT = 1000;

export class TokenCache {
  private readonly entries = new Map<string, CachedRequest>();

  constructor(
    private readonly ttlMs = DEFAULT_TOKEN_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  insert(kind: StreamKind, req: object): string {
    this.evictExpired();
    if (this.entries.size >= MAX_IN_FLIGHT) {
      throw new StreamingError(`maximum number of in-flight stream requests (${MAX_IN_FLIGHT}) reached`, 429);
    }
    // 8 random bytes, URL-safe base64 (11 chars): the same entropy the kubelet uses.
    const token = randomBytes(8).toString('base64url');
    this.entries.set(token, { kind, req, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  /** Remove and return the request; undefined when unknown, already used or expired. */
  consume(token: string): CachedRequest | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    return entry.expiresAt > this.now() ? entry : undefined;
  }

  get size(): number {
    this.evictExpired();
    return this.entries.size;
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [token, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(token);
  }
}
