// What the API services share: the manager's stores and the helpers that turn records into API
// messages. Services are thin: check the request, call a store, publish an event, answer.
import { packAny, toTimestamp, type Any } from '@strata/shim/proto';
import type { Manager } from '../../manager';
import { requireNamespace } from '../../metadata/names';
import type { CallContext } from '../grpc';
import { schema } from '../protos';

export type { Manager };

/** The namespace of a call, validated (every namespaced call needs one). */
export const nsOf = (ctx: CallContext): string => requireNamespace(ctx.namespace);

/** The lease a call runs under (ctr pull / run send containerd-lease), if any. */
export const leaseOf = (ctx: CallContext): string | undefined => ctx.metadata['containerd-lease'] || undefined;

/** Publish one of containerd's event messages, e.g. publish(m, ns, '/containers/create', 'containerd.events.ContainerCreate', {...}). */
export function publish(m: Manager, ns: string, topic: string, type: string, event: object): void {
  m.events.publish(ns, topic, packAny(schema.message(type), event) as Any);
}

export const ts = (d: Date | undefined) => (d ? toTimestamp(d) : undefined);
