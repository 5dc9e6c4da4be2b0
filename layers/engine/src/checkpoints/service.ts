// docker checkpoint create/ls/rm and docker start --checkpoint (dockerd's experimental
// checkpoint support), on the manager's containerd API:
//
//   create   guard (live task) -> hidden directory -> Tasks.Checkpoint under a lease of our own
//            -> extract the CRIU tar it answers with -> rename the directory into place -> end the
//            lease (the blobs become garbage) -> "checkpoint" event. With Exit, CRIU ends the
//            processes after the dump: the container exits as stopped on purpose (no restart).
//   restore  guard (stopped) -> the directory as a CRIU tar into the content store under a lease
//            -> the usual start, whose Tasks.Create carries the descriptor: the shim restores the
//            task instead of creating one -> end the lease.
//   ls, rm   files only (the directory is the checkpoint; dockerd keeps nothing else either).
//
// Everything goes through the containerd contract (Tasks.Checkpoint, CreateTaskRequest.checkpoint),
// so this works the same on strata-manager and on real containerd.
import path from 'node:path';
import { LEASE_HEADER, ManagerError, withCallMetadata } from '@strata/manager';
import { EngineError, invalidParam, type EngineErrorKind } from '../errors';
import type { ContainerService } from '../containers/service';
import { assertAllowed } from '../states';
import { criuTarOf, extractCriuTar, storeCriuTar } from './criuTar';
import { CheckpointStore, leaseId, validateCheckpointName } from './store';

/**
 * containerd.runc.v1.CheckpointOptions{exit: true} in protobuf's wire format: field 1 as a
 * varint (tag 1 << 3 | 0 = 0x08), value 1. Without options the shim leaves the task running.
 */
const EXIT_OPTIONS = { typeUrl: 'containerd.runc.v1.CheckpointOptions', value: new Uint8Array([0x08, 0x01]) };

/** A lease outlives the operation only if the engine dies mid-way: the manager's GC ends it then. */
const LEASE_EXPIRY_MS = 60 * 60_000;

/** How long a create with Exit waits for the container's exit to be handled before it answers. */
const EXIT_WAIT_MS = 30_000;

export interface CheckpointCreateRequest {
  CheckpointID?: unknown;
  CheckpointDir?: unknown;
  Exit?: unknown;
}

export class CheckpointService {
  readonly store: CheckpointStore;

  constructor(
    private readonly svc: ContainerService,
    /** --experimental: without it every checkpoint call is refused, as dockerd refuses them. */
    readonly experimental: boolean,
  ) {
    this.store = new CheckpointStore(path.join(svc.o.dataRoot, 'containers'));
  }

  /** 501 on a daemon started without --experimental (the endpoints exist only in experimental mode). */
  assertEnabled(): void {
    if (!this.experimental) throw new EngineError('notImplemented', 'checkpoints are an experimental feature: start strata-engine with --experimental to use them');
  }

  /** POST /containers/{id}/checkpoints. */
  async create(ref: string, body: CheckpointCreateRequest): Promise<void> {
    this.assertEnabled();
    const name = stringField(body.CheckpointID, 'CheckpointID');
    const dir = stringField(body.CheckpointDir ?? '', 'CheckpointDir') || undefined;
    if (body.Exit !== undefined && typeof body.Exit !== 'boolean') throw invalidParam(`Exit: must be true or false (got ${JSON.stringify(body.Exit)})`);
    const exit = body.Exit === true;
    validateCheckpointName(name);
    const c = this.svc.get(ref);
    const client = this.svc.client;
    let running: { exited: Promise<void> } | undefined;
    await this.svc.locked(c.Id, async () => {
      assertAllowed(exit ? 'checkpointExit' : 'checkpoint', c.State.Status, { id: c.Id, name: c.Name });
      running = this.svc.running.get(c.Id);
      const target = this.store.begin(c, name, dir);
      const lease = leaseId('checkpoint', c.Id);
      const wasStopped = c.Strata.manuallyStopped;
      let dumped = false;
      try {
        await client.leases.create(lease, { 'containerd.io/gc.expire': new Date(Date.now() + LEASE_EXPIRY_MS).toISOString() });
        // The exit CRIU causes is a stop the user asked for: marked before the dump, as the exit
        // may be handled the moment the lock is free.
        if (exit) {
          c.Strata.manuallyStopped = true;
          this.svc.store.save(c);
        }
        // Tasks.Checkpoint writes its blobs under the request's lease. No Pause/Resume around
        // the call: CRIU freezes the process tree itself (the runtime's --freeze-cgroup); the Go
        // client's pause is there for its RW-layer copy, which docker checkpoints do not take.
        const descriptors = await withCallMetadata({ [LEASE_HEADER]: lease }, () => client.tasks.checkpoint(c.Id, exit ? EXIT_OPTIONS : undefined));
        dumped = true;
        await extractCriuTar(client, criuTarOf(descriptors ?? []), target.path);
        target.commit();
      } catch (e) {
        target.discard();
        // a failed dump leaves the processes running: the container is not stopped after all
        if (exit && !dumped) {
          c.Strata.manuallyStopped = wasStopped;
          this.svc.store.save(c);
        }
        throw fromManager(e, `Cannot checkpoint container ${c.Name.slice(1)}`);
      } finally {
        await client.leases.delete(lease).catch((e) => this.svc.o.log('warn', 'ending a checkpoint lease failed', { id: c.Id, lease, err: String(e) }));
      }
      this.svc.event(c, 'checkpoint');
    });
    // answer once the exit is recorded, so that the next call sees the container exited
    if (exit && running) await Promise.race([running.exited, new Promise((r) => setTimeout(r, EXIT_WAIT_MS).unref())]);
  }

  /** GET /containers/{id}/checkpoints?dir= */
  list(ref: string, dir?: string): { Name: string }[] {
    this.assertEnabled();
    const c = this.svc.get(ref);
    return this.store.list(c, dir || undefined).map((Name) => ({ Name }));
  }

  /** DELETE /containers/{id}/checkpoints/{name}?dir= */
  remove(ref: string, name: string, dir?: string): void {
    this.assertEnabled();
    const c = this.svc.get(ref);
    this.store.remove(c, name, dir || undefined);
  }

  /** POST /containers/{id}/start?checkpoint=NAME&checkpoint-dir=DIR */
  async restore(ref: string, name: string, dir?: string): Promise<void> {
    if (!this.experimental) throw invalidParam('checkpoint: restoring from a checkpoint needs an experimental daemon (strata-engine --experimental)');
    validateCheckpointName(name);
    const c = this.svc.get(ref);
    const client = this.svc.client;
    await this.svc.locked(c.Id, async () => {
      assertAllowed('restore', c.State.Status, { id: c.Id, name: c.Name });
      const images = this.store.find(c, name, dir || undefined);
      const lease = leaseId('restore', c.Id);
      try {
        await client.leases.create(lease, { 'containerd.io/gc.expire': new Date(Date.now() + LEASE_EXPIRY_MS).toISOString() });
        const desc = await storeCriuTar(client, images, lease);
        c.Strata.manuallyStopped = false;
        // the lease holds the blob until Tasks.Create has read it; the checkpoint directory stays
        // (a checkpoint can be restored again, or into other containers)
        await this.svc.startLocked(c, { checkpoint: desc });
      } catch (e) {
        throw fromManager(e, `Cannot restore container ${c.Name.slice(1)} from checkpoint ${name}`);
      } finally {
        await client.leases.delete(lease).catch((e) => this.svc.o.log('warn', 'ending a restore lease failed', { id: c.Id, lease, err: String(e) }));
      }
    });
  }

  /** Engine start: remove what creates interrupted by a crash left in the containers' own directories. */
  sweep(): void {
    for (const c of this.svc.store.all()) this.store.sweepPartials(c);
  }
}

function stringField(v: unknown, field: string): string {
  if (typeof v !== 'string') throw invalidParam(`${field}: must be a string (got ${JSON.stringify(v)})`);
  return v;
}

/** The manager's gRPC code as the Engine API's status; the message keeps the manager's (CRIU's) reason. */
const KIND_OF: Partial<Record<string, EngineErrorKind>> = { NOT_FOUND: 'conflict', FAILED_PRECONDITION: 'conflict', INVALID_ARGUMENT: 'invalid', UNIMPLEMENTED: 'notImplemented', UNAVAILABLE: 'unavailable' };

function fromManager(e: unknown, what: string): unknown {
  if (e instanceof ManagerError) return new EngineError(KIND_OF[e.code] ?? 'system', `${what}: ${e.message}`);
  if (e instanceof EngineError && e.status >= 500) return new EngineError(e.kind, `${what}: ${e.message}`);
  return e;
}
