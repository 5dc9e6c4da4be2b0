// containerd.services.events.v1.Events: `ctr events` subscribes; clients may also publish.
import { fromTimestamp } from '@strata/shim/proto';
import { invalid } from '../../errors';
import type { Handler } from '../grpc';
import { nsOf, ts, type Manager } from './context';

export function eventsService(m: Manager): Record<string, Handler> {
  return {
    Publish: (r: { topic: string; event?: any }, ctx) => {
      try {
        m.events.publish(nsOf(ctx), r.topic, r.event);
      } catch (e) {
        throw invalid('topic', (e as Error).message);
      }
      return {};
    },
    Forward: (r: { envelope?: { timestamp?: any; namespace: string; topic: string; event?: any } }) => {
      if (!r.envelope) throw invalid('envelope', 'required');
      const e = r.envelope;
      m.events.forward({ timestamp: fromTimestamp(e.timestamp) ?? new Date(), namespace: e.namespace, topic: e.topic, event: e.event });
      return {};
    },
    Subscribe: (r: { filters: string[] }, ctx, send) =>
      new Promise<void>((resolve) => {
        m.events.subscribe(r.filters, (e) => send({ timestamp: ts(e.timestamp), namespace: e.namespace, topic: e.topic, event: e.event }), ctx.signal);
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
}
