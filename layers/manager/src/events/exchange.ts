// The event exchange (containerd's events/exchange): every layer publishes what happened
// (/containers/create, /tasks/exit, /images/update...) as an Envelope; `ctr events` and the
// layers above subscribe with filters. Shims forward their task events here over ttrpc.
import type { Any } from '@strata/shim/proto';
import { parseFilters, type Filter } from '../filters';

export interface Envelope {
  timestamp: Date;
  namespace: string;
  topic: string;
  event?: Any;
}

type Listener = (e: Envelope) => void;

export class EventExchange {
  private readonly listeners = new Set<{ filter: Filter; fn: Listener }>();

  publish(namespace: string, topic: string, event: Any | undefined, timestamp = new Date()): void {
    // containerd validates topics: absolute paths of [a-z0-9/_-].
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(topic)) throw new Error(`invalid event topic ${JSON.stringify(topic)}`);
    this.forward({ timestamp, namespace, topic, event });
  }

  forward(e: Envelope): void {
    for (const l of this.listeners) {
      const get = (p: string[]) => (p.length === 1 && (p[0] === 'topic' || p[0] === 'namespace') ? e[p[0] as 'topic' | 'namespace'] : undefined);
      if (l.filter(get)) l.fn(e);
    }
  }

  /** Subscribe until `signal` aborts. Filters use containerd's syntax on topic and namespace. */
  subscribe(filters: string[], fn: Listener, signal?: AbortSignal): () => void {
    const entry = { filter: parseFilters(filters), fn };
    this.listeners.add(entry);
    const off = () => this.listeners.delete(entry);
    signal?.addEventListener('abort', off, { once: true });
    return off;
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
