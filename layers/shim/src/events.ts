// Task events, forwarded to containerd (runtime v2 contract): a ttrpc call
// containerd.services.events.ttrpc.v1.Events/Forward on TTRPC_ADDRESS for each event, in the
// order they happened. containerd relies on the order (TaskExit before TaskDelete, TaskExecAdded
// before TaskExecStarted), so events go through one queue, one at a time, with bounded retries.
import { encode, EVENTS_SERVICE, eventType, toTimestamp, type Any } from './proto';
import { peerProcessName, TtrpcClient } from './ttrpc';
import { SHIM, shimCall, traced, tracing } from './trace';

export type TaskTopic = 'create' | 'start' | 'exit' | 'delete' | 'oom' | 'exec-added' | 'exec-started' | 'paused' | 'resumed' | 'checkpointed';

/** Topic -> the event message's name in containerd.events. */
export const TOPIC_EVENT: Record<TaskTopic, string> = {
  create: 'TaskCreate',
  start: 'TaskStart',
  exit: 'TaskExit',
  delete: 'TaskDelete',
  oom: 'TaskOOM',
  'exec-added': 'TaskExecAdded',
  'exec-started': 'TaskExecStarted',
  paused: 'TaskPaused',
  resumed: 'TaskResumed',
  checkpointed: 'TaskCheckpointed',
};

export interface PublishedEvent {
  topic: string;
  type: string;
  event: Record<string, unknown>;
}

export class EventPublisher {
  private queue: Promise<void> = Promise.resolve();
  private client?: TtrpcClient;
  /** Every event, in order (the shim's tests and traces read it). */
  readonly sent: PublishedEvent[] = [];

  constructor(
    private readonly ttrpcAddress: string | undefined,
    private readonly namespace: string,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /** Who listens on TTRPC_ADDRESS (containerd, or strata-manager), by SO_PEERCRED, for traces. */
  private peer = 'containerd';

  publish(topic: TaskTopic, event: Record<string, unknown>): void {
    const type = TOPIC_EVENT[topic];
    const record = { topic: `/tasks/${topic}`, type, event };
    this.sent.push(record);
    this.queue = this.queue.then(() => this.forward(record));
  }

  private async forward(e: PublishedEvent): Promise<void> {
    if (!this.ttrpcAddress) return;
    const t = eventType(e.type);
    const any: Any = { typeUrl: t.fullName, value: encode(t, e.event) };
    const envelope = { timestamp: toTimestamp(new Date()), namespace: this.namespace, topic: e.topic, event: any };
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        if (!this.client) {
          this.client = await TtrpcClient.connect(this.ttrpcAddress, 2_000);
          if (tracing()) this.peer = this.client.describePeer(peerProcessName) ?? this.peer;
        }
        const client = this.client;
        const ids = { container: String(e.event.containerId ?? ''), exec: e.event.execId ? String(e.event.execId) : undefined };
        const call = shimCall({ from: SHIM, to: this.peer, protocol: 'ttrpc', op: `Events.Forward ${e.topic}`, ids });
        await traced(call, () => client.call(EVENTS_SERVICE, 'Forward', { envelope }, { timeoutMs: 5_000 }));
        return;
      } catch (err) {
        this.client?.close();
        this.client = undefined;
        this.log(`publishing ${e.topic} failed (attempt ${attempt}/5): ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  /** Wait (bounded) until every queued event has been sent. */
  async flush(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  close(): void {
    this.client?.close();
  }
}
