// Publish/subscribe for engine events with docker's shapes (api/types/events.Message):
//
//   {"Type":"container","Action":"start","Actor":{"ID":"<id>","Attributes":{"image":"busybox","name":"c1"}},
//    "scope":"local","time":1700000000,"timeNano":1700000000123456789,
//    "status":"start","id":"<id>","from":"busybox"}        <- legacy fields, containers and images only
//
// dockerd keeps the last 256 events in memory (daemon/events: eventsLimit) for --since; older
// ones are gone, as here. A subscriber gets the past events that match first, then live ones.
import type { Route } from '../api/types';
import { EngineError } from '../errors';
import { eventsRoutes } from './routes';

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'builder';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  /** Legacy (API < 1.52): the action, for containers and images. */
  status?: string;
  /** Legacy: the actor's id. */
  id?: string;
  /** Legacy: the container's image. */
  from?: string;
}

export interface EventQuery {
  /** docker's filters: type, event (action), container, image, volume, network, label, scope, daemon. */
  filters?: Record<string, string[]>;
  /** Nanoseconds since the epoch: replay past events from then on. */
  since?: number;
  /** Nanoseconds since the epoch: no event after it (the stream ends then). */
  until?: number;
}

/** dockerd's eventsLimit: the past events kept for --since. */
export const RING_SIZE = 256;

const FILTER_KEYS = new Set(['type', 'event', 'container', 'image', 'volume', 'network', 'label', 'scope', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']);

export class EngineEvents {
  private readonly ring: EngineEvent[] = [];
  private readonly subscribers = new Set<(e: EngineEvent) => void>();
  private lastNano = 0;

  /** Publish an event. `id` is the container/image/volume id or name; attributes e.g. {name, image}. */
  emit(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    // Strictly increasing timestamps: --since/--until must not drop or repeat an event that
    // shares a millisecond with another. Steps of 1 µs: nanoseconds since 1970 are beyond 2^53,
    // where a JS number only holds multiples of 256 ns.
    const nano = Math.max(Date.now() * 1e6, this.lastNano + 1000);
    this.lastNano = nano;
    const e: EngineEvent = { Type: type, Action: action, Actor: { ID: id, Attributes: { ...attributes } }, scope: 'local', time: Math.floor(nano / 1e9), timeNano: nano };
    if (type === 'container' || type === 'image') {
      e.status = action;
      e.id = id;
      if (type === 'container' && attributes.image) e.from = attributes.image;
    }
    this.ring.push(e);
    if (this.ring.length > RING_SIZE) this.ring.shift();
    for (const s of this.subscribers) {
      try {
        s(e);
      } catch {
        // a subscriber's failure (a closed connection) is its own problem
      }
    }
    return e;
  }

  /** Publish an event given as an object (the container service's ContainerEvents shape). */
  publish(e: { Type: EventType; Action: string; Actor: { ID: string; Attributes?: Record<string, string> } }): EngineEvent {
    return this.emit(e.Type, e.Action, e.Actor.ID, e.Actor.Attributes ?? {});
  }

  /** The past events (oldest first) that match. */
  past(q: EventQuery = {}): EngineEvent[] {
    const match = eventMatcher(q.filters ?? {});
    return this.ring.filter((e) => (q.since === undefined || e.timeNano >= q.since) && (q.until === undefined || e.timeNano <= q.until) && match(e));
  }

  /**
   * Past events since `since` (if given), then live ones, each matching the filters, to `onEvent`.
   * Returns the unsubscribe function. Events after `until` are not delivered (the caller ends
   * its stream at `until`).
   */
  subscribe(q: EventQuery, onEvent: (e: EngineEvent) => void): () => void {
    const match = eventMatcher(q.filters ?? {});
    if (q.since !== undefined) for (const e of this.past(q)) onEvent(e);
    const live = (e: EngineEvent) => {
      if (q.until !== undefined && e.timeNano > q.until) return;
      if (match(e)) onEvent(e);
    };
    this.subscribers.add(live);
    return () => this.subscribers.delete(live);
  }

  /** GET /events. */
  routes(): Route[] {
    return eventsRoutes(this);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}

/**
 * docker's event filters (daemon/events/filter.go): each key's values are ORed, keys are ANDed.
 * container/image/volume/network match the actor's ID or its name attribute; image also matches
 * a container's image attribute; label matches "key" or "key=value" on the attributes.
 */
export function eventMatcher(filters: Record<string, string[]>): (e: EngineEvent) => boolean {
  for (const k of Object.keys(filters)) if (!FILTER_KEYS.has(k)) throw new EngineError('invalid', `invalid filter '${k}'`);
  const any = (key: string, test: (v: string) => boolean) => !filters[key]?.length || filters[key].some(test);
  const actorIs = (e: EngineEvent, v: string) => e.Actor.ID === v || e.Actor.ID.startsWith(v) || e.Actor.Attributes.name === v;
  const imageIs = (e: EngineEvent, v: string) => {
    const names = [e.Actor.Attributes.image, e.Actor.Attributes.name, e.Actor.ID].filter(Boolean);
    const short = (s: string) => s.replace(/^docker\.io\/(library\/)?/, '').replace(/:latest$/, '');
    return names.some((n) => n === v || short(n) === short(v) || n.startsWith(v));
  };
  return (e) =>
    any('type', (v) => e.Type === v) &&
    any('event', (v) => e.Action === v || e.Action.split(':')[0] === v) &&
    any('scope', (v) => v === 'local') &&
    (!filters.container?.length || (e.Type === 'container' && filters.container.some((v) => actorIs(e, v)))) &&
    (!filters.image?.length || ((e.Type === 'image' || e.Type === 'container') && filters.image.some((v) => imageIs(e, v)))) &&
    (!filters.volume?.length || (e.Type === 'volume' && filters.volume.some((v) => actorIs(e, v)))) &&
    (!filters.network?.length || (e.Type === 'network' && filters.network.some((v) => actorIs(e, v)))) &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in e.Actor.Attributes : e.Actor.Attributes[v.slice(0, eq)] === v.slice(eq + 1);
    });
}
