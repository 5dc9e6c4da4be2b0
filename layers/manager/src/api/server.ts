// The manager's two sockets:
//   <address>         gRPC: containerd's API (ctr, strata-ctr, CRI, engine)
//   <address>.ttrpc   ttrpc: where shims forward their task events (TTRPC_ADDRESS)
import fs from 'node:fs';
import { fromTimestamp, EVENTS_SERVICE as SHIM_EVENTS_SERVICE } from '@strata/shim/proto';
import { peerAllowed, TtrpcServer } from '@strata/shim/ttrpc';
import type { Manager } from '../manager';
import { traceServed } from '../trace';
import { CLIENT_HEADER } from './grpc';
import { GrpcServer } from './grpc';
import * as api from './protos';
import { containersService } from './services/containers';
import { contentService } from './services/content';
import { diffService } from './services/diff';
import { eventsService } from './services/events';
import { healthService } from './services/health';
import { imagesService } from './services/images';
import { introspectionService } from './services/introspection';
import { leasesService } from './services/leases';
import { namespacesService } from './services/namespaces';
import { snapshotsService } from './services/snapshots';
import { tasksService } from './services/tasks';
import { versionService } from './services/version';

/**
 * Who called, for traces: Strata's clients say (strata-client header); a Go client (grpc-go in
 * its user-agent) is drawn as ctr, the Go client a student runs by hand.
 */
export function callerOf(md: Record<string, string>): string {
  if (md[CLIENT_HEADER]) return md[CLIENT_HEADER];
  if ((md['user-agent'] ?? '').startsWith('grpc-go')) return 'ctr';
  return 'client';
}

export class ApiServer {
  private readonly grpc: GrpcServer;
  private readonly ttrpc = new TtrpcServer();

  constructor(private readonly m: Manager) {
    this.grpc = new GrpcServer((method, ms, error, ctx) => {
      m.log('debug', error ? `${method} failed: ${(error as Error).message ?? error}` : method, { ms: Math.round(ms * 10) / 10 });
      // Polls (ctr's progress display asks ListStatuses ten times a second) would drown a diagram.
      if (!/ListStatuses|Health/.test(method)) traceServed(method, ms, error, callerOf(ctx.metadata));
    });
    this.grpc
      .register(api.VERSION_SERVICE, versionService(m))
      .register(api.NAMESPACES_SERVICE, namespacesService(m))
      .register(api.CONTAINERS_SERVICE, containersService(m))
      .register(api.TASKS_SERVICE, tasksService(m))
      .register(api.LEASES_SERVICE, leasesService(m))
      .register(api.EVENTS_SERVICE, eventsService(m))
      .register(api.INTROSPECTION_SERVICE, introspectionService(m))
      .register(api.CONTENT_SERVICE, contentService(m))
      .register(api.IMAGES_SERVICE, imagesService(m))
      .register(api.SNAPSHOTS_SERVICE, snapshotsService(m))
      .register(api.DIFF_SERVICE, diffService(m))
      .register(api.HEALTH_SERVICE, healthService());
    // Shims run as root like us; anyone else may not inject task events.
    this.ttrpc.authorize = peerAllowed;
    this.ttrpc.register(SHIM_EVENTS_SERVICE, {
      Forward: async (req: { envelope?: { timestamp?: any; namespace: string; topic: string; event?: any } }) => {
        const e = req.envelope;
        if (e) m.events.forward({ timestamp: fromTimestamp(e.timestamp) ?? new Date(), namespace: e.namespace, topic: e.topic, event: e.event });
        return {};
      },
    });
  }

  private readonly inodes = new Map<string, number>();

  async listen(): Promise<void> {
    const address = this.m.config.address;
    await this.grpc.listen(address);
    const ttrpcPath = `${address}.ttrpc`;
    fs.rmSync(ttrpcPath, { force: true });
    await this.ttrpc.listen(ttrpcPath, 0o600);
    for (const p of [address, ttrpcPath]) this.inodes.set(p, fs.statSync(p).ino);
  }

  async close(): Promise<void> {
    await Promise.all([this.grpc.close(), this.ttrpc.close()]);
    // Remove our sockets, but not a successor's: a new daemon may already listen at the path.
    for (const [p, ino] of this.inodes) {
      try {
        if (fs.statSync(p).ino === ino) fs.rmSync(p, { force: true });
      } catch {
        /* already gone */
      }
    }
  }
}
