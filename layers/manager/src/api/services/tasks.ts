// containerd.services.tasks.v1.Tasks: running containers (`ctr t start/ls/exec/kill/ps/rm`).
// The manager checks the request against its state table, then forwards to the task's shim
// (containerd.task.v2.Task over ttrpc): the shim does the work, the manager only keeps track.
import { parseFilters, recordAdaptor } from '../../filters';
import { assertAllowed, type ManagerOp } from '../../lifecycle';
import { invalid } from '../../errors';
import { checkpointToContent, extractCriuImage, restoreBlob, type CheckpointStores } from '../../tasks/checkpoint';
import type { Handler } from '../grpc';
import { leaseOf, nsOf, publish, ts, type Manager } from './context';

interface IdReq {
  containerId: string;
  execId?: string;
}

export function tasksService(m: Manager): Record<string, Handler> {
  /** Guard an operation on the init task with the state table (exec ids go to the shim as is). */
  const guard = async (ns: string, r: IdReq, op: ManagerOp) => {
    if (!r.containerId) throw invalid('container_id', 'required');
    if (r.execId) {
      m.tasks.get(ns, r.containerId); // NOT_FOUND when there is no task
      return;
    }
    assertAllowed(op, await m.stateOf(ns, r.containerId), r.containerId);
  };

  const checkpoints: CheckpointStores = { content: m.content, leases: m.leases, tempRoot: m.paths.checkpoints };

  return {
    Create: async (r: any, ctx) => {
      const ns = nsOf(ctx);
      if (!r.containerId) throw invalid('container_id', 'required');
      assertAllowed('createTask', await m.stateOf(ns, r.containerId), r.containerId);
      const c = m.containers.get(ns, r.containerId);
      if (!c.spec?.value?.length) throw invalid('container.spec', `container ${c.id} has no OCI spec`);
      // Restore (ctr c restore --live): the criu tar is checked before a shim starts.
      const restore = r.checkpoint ? restoreBlob(checkpoints, ns, r.checkpoint) : undefined;
      const pid = await m.tasks.create({
        namespace: ns,
        id: c.id,
        runtime: c.runtime.name,
        spec: c.spec.value,
        rootfs: r.rootfs ?? [],
        io: { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal },
        options: r.options,
        containerOptions: c.runtime.options,
        runtimePath: r.runtimePath || undefined,
        restoreImages: restore && ((dir) => extractCriuImage(checkpoints, ns, restore, dir)),
      });
      return { containerId: c.id, pid };
    },
    Start: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      await guard(ns, r, 'startTask');
      try {
        return { pid: (await m.tasks.call<{ pid: number }>(ns, r.containerId, 'Start', { execId: r.execId ?? '' })).pid };
      } finally {
        // A restored task's processes came back at Start (or will not): its CRIU images can go.
        if (!r.execId) m.tasks.dropRestoreImages(ns, r.containerId);
      }
    },
    Delete: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      await guard(ns, r, 'deleteTask');
      const res = await m.tasks.delete(ns, r.containerId);
      return { id: r.containerId, pid: res.pid, exitStatus: res.exitStatus, exitedAt: res.exitedAt };
    },
    DeleteProcess: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      if (!r.execId) throw invalid('exec_id', 'required (use Delete for the task itself)');
      m.tasks.get(ns, r.containerId);
      const res = await m.tasks.call<{ pid: number; exitStatus: number; exitedAt: any }>(ns, r.containerId, 'Delete', { execId: r.execId });
      return { id: r.execId, pid: res.pid, exitStatus: res.exitStatus, exitedAt: res.exitedAt };
    },
    Get: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      m.tasks.get(ns, r.containerId);
      return { process: await m.tasks.state(ns, r.containerId, r.execId ?? '') };
    },
    List: async (r: { filter: string }, ctx) => {
      const ns = nsOf(ctx);
      const f = parseFilters(r.filter ? [r.filter] : []);
      const out = [];
      for (const id of m.tasks.list(ns)) {
        try {
          const p = await m.tasks.state(ns, id);
          if (f(recordAdaptor({ id, container_id: id, pid: String(p.pid), status: String(p.status) }))) out.push(p);
        } catch {
          /* the task went away while listing */
        }
      }
      return { tasks: out };
    },
    Kill: async (r: IdReq & { signal: number; all: boolean }, ctx) => {
      const ns = nsOf(ctx);
      await guard(ns, r, 'killTask');
      await m.tasks.call(ns, r.containerId, 'Kill', { execId: r.execId ?? '', signal: r.signal, all: r.all });
      return {};
    },
    Exec: async (r: any, ctx) => {
      const ns = nsOf(ctx);
      if (!r.execId) throw invalid('exec_id', 'required');
      if (!r.spec) throw invalid('spec', 'required (the process to run, an OCI Process)');
      assertAllowed('execTask', await m.stateOf(ns, r.containerId), r.containerId);
      await m.tasks.call(ns, r.containerId, 'Exec', { execId: r.execId, terminal: r.terminal, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, spec: r.spec });
      return {};
    },
    ResizePty: async (r: IdReq & { width: number; height: number }, ctx) => {
      const ns = nsOf(ctx);
      await m.tasks.call(ns, r.containerId, 'ResizePty', { execId: r.execId ?? '', width: r.width, height: r.height });
      return {};
    },
    CloseIO: async (r: IdReq & { stdin: boolean }, ctx) => {
      const ns = nsOf(ctx);
      await m.tasks.call(ns, r.containerId, 'CloseIO', { execId: r.execId ?? '', stdin: r.stdin });
      return {};
    },
    Pause: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      await guard(ns, { containerId: r.containerId }, 'pauseTask');
      await m.tasks.call(ns, r.containerId, 'Pause', {});
      return {};
    },
    Resume: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      await guard(ns, { containerId: r.containerId }, 'resumeTask');
      await m.tasks.call(ns, r.containerId, 'Resume', {});
      return {};
    },
    ListPids: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      const res = await m.tasks.call<{ processes: any[] }>(ns, r.containerId, 'Pids', {});
      return { processes: res.processes };
    },
    Checkpoint: async (r: { containerId: string; parentCheckpoint: string; options?: any }, ctx) => {
      const ns = nsOf(ctx);
      await guard(ns, { containerId: r.containerId }, 'checkpointTask');
      const c = m.containers.get(ns, r.containerId);
      if (!c.spec) throw invalid('container.spec', `container ${c.id} has no OCI spec to store with the checkpoint`);
      // parent_checkpoint is accepted and unused, as in containerd 1.6 (the shim API has no field for it).
      const descriptors = await checkpointToContent(checkpoints, {
        ns,
        lease: leaseOf(ctx),
        spec: c.spec,
        options: r.options,
        dump: (imageDir) => m.tasks.call(ns, c.id, 'Checkpoint', { path: imageDir, options: r.options }),
      });
      // checkpoint: the criu tar's digest (empty when the images went to the caller's image_path).
      publish(m, ns, '/tasks/checkpointed', 'containerd.events.TaskCheckpointed', { containerId: c.id, checkpoint: descriptors[0]?.digest ?? '' });
      return { descriptors };
    },
    Update: async (r: { containerId: string; resources?: any; annotations: Record<string, string> }, ctx) => {
      const ns = nsOf(ctx);
      await m.tasks.call(ns, r.containerId, 'Update', { resources: r.resources, annotations: r.annotations });
      return {};
    },
    Metrics: async (r: { filters: string[] }, ctx) => {
      const ns = nsOf(ctx);
      const f = parseFilters(r.filters);
      const metrics = [];
      for (const id of m.tasks.list(ns)) {
        if (!f(recordAdaptor({ id, container_id: id }))) continue;
        try {
          const s = await m.tasks.call<{ stats?: any }>(ns, id, 'Stats', {});
          metrics.push({ timestamp: ts(new Date()), id, data: s.stats });
        } catch {
          /* gone meanwhile */
        }
      }
      return { metrics };
    },
    Wait: async (r: IdReq, ctx) => {
      const ns = nsOf(ctx);
      m.tasks.get(ns, r.containerId);
      const res = await m.tasks.call<{ exitStatus: number; exitedAt: any }>(ns, r.containerId, 'Wait', { execId: r.execId ?? '' });
      return { exitStatus: res.exitStatus, exitedAt: res.exitedAt };
    },
  };
}
