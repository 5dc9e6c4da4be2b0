// The CRI gRPC server: one unix socket serving both services (RuntimeService, ImageService), as
// containerd's CRI plugin and CRI-O do. RuntimeService calls go to the runtime service (pods,
// containers, streams: ./runtime), ImageService calls to the image service (./image); Version
// and RuntimeConfig are answered here. Every call is observed: logged at debug, traced with
// STRATA_TRACE.
import fs from 'node:fs';
import { GrpcServer, CLIENT_HEADER, type CallContext, type Handler } from '@strata/manager';
import { IMAGE_SERVICE, RUNTIME_SERVICE, CRI_API_VERSION, CgroupDriver, type VersionResponse } from './api/protos';
import type { CriImageService } from './image/service';
import type { Logger } from './log';
import { traceServed } from './trace';
import { VERSION } from './config';

/**
 * The runtime service as the server sees it: any object whose methods are named after the
 * RuntimeService RPCs (CriRuntimeService has them all); the RPCs it lacks answer UNIMPLEMENTED.
 */
export type RuntimeRpcs = object;

export interface CriServerOptions {
  runtime: RuntimeRpcs;
  images: CriImageService;
  log?: Logger;
}

/** Who called: Strata's clients say so in a header; crictl and the kubelet are grpc-go. */
function callerOf(ctx: CallContext): string {
  const named = ctx.metadata[CLIENT_HEADER];
  if (named) return named;
  return /grpc-go/.test(ctx.metadata['user-agent'] ?? '') ? 'crictl' : 'cri-client';
}

export function versionResponse(): VersionResponse {
  // "version" is the kubelet runtime API version the CRI has always reported as 0.1.0.
  return { version: '0.1.0', runtimeName: 'strata-cri', runtimeVersion: VERSION, runtimeApiVersion: CRI_API_VERSION };
}

/** The objects a call is about, for trace lines: pod, container, image. */
function idsOf(req: any, res: any): Record<string, string | undefined> {
  return {
    pod: req?.podSandboxId || res?.podSandboxId || undefined,
    container: req?.containerId || res?.containerId || undefined,
    image: req?.image?.image || undefined,
  };
}

/**
 * Trace every served call (STRATA_TRACE): a wrapper rather than the server's observer, because a
 * trace line names the pod, container or image the call was about, which only the request and
 * the answer know.
 */
function traced(service: string, handlers: Record<string, Handler>): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, h] of Object.entries(handlers)) {
    const method = `/${service}/${name}`;
    out[name] = async (req, ctx, send) => {
      const t0 = performance.now();
      try {
        const res = await h(req, ctx, send);
        traceServed(method, performance.now() - t0, undefined, callerOf(ctx), idsOf(req, res));
        return res;
      } catch (e) {
        traceServed(method, performance.now() - t0, e, callerOf(ctx), idsOf(req, undefined));
        throw e;
      }
    };
  }
  return out;
}

export class CriServer {
  private readonly grpc: GrpcServer;
  private socket?: string;

  constructor(private readonly o: CriServerOptions) {
    this.grpc = new GrpcServer((method, ms, error, ctx) => {
      const caller = callerOf(ctx);
      if (error) o.log?.('debug', `${method} failed`, { ms: Math.round(ms), error: (error as Error)?.message ?? String(error), caller });
      else o.log?.('debug', method, { ms: Math.round(ms), caller });
    }, 'strata-cri');
    this.grpc.register(RUNTIME_SERVICE, traced(RUNTIME_SERVICE.fullName, this.runtimeHandlers()));
    this.grpc.register(IMAGE_SERVICE, traced(IMAGE_SERVICE.fullName, this.imageHandlers()));
  }

  private runtimeHandlers(): Record<string, Handler> {
    const rt = this.o.runtime as Record<string, unknown>;
    const h: Record<string, Handler> = {};
    for (const name of Object.keys(RUNTIME_SERVICE.methods)) {
      const fn = rt[name];
      if (typeof fn !== 'function') continue;
      // Server streams (GetContainerEvents) get the send function as their third argument.
      h[name] = (req, ctx, send) => (fn as (r: unknown, ctx: CallContext, send: (m: unknown) => void) => unknown).call(rt, req, ctx, send);
    }
    h.Version = () => versionResponse();
    // The cgroup driver the kubelet must match: Strata's runtimes manage cgroups directly
    // (cgroupfs), not through systemd, unless the runtime service says otherwise.
    if (!h.RuntimeConfig) h.RuntimeConfig = () => ({ linux: { cgroupDriver: CgroupDriver.CGROUPFS } });
    return h;
  }

  private imageHandlers(): Record<string, Handler> {
    const im = this.o.images;
    return {
      ListImages: (req) => im.ListImages(req),
      ImageStatus: (req) => im.ImageStatus(req),
      PullImage: (req) => im.PullImage(req),
      RemoveImage: (req) => im.RemoveImage(req),
      ImageFsInfo: () => im.ImageFsInfo(),
    };
  }

  /** Listen on a unix socket, mode 0600 (root-only, as containerd's and CRI-O's). */
  async listen(socket: string): Promise<void> {
    await this.grpc.listen(socket);
    this.socket = socket;
  }

  async close(): Promise<void> {
    await this.grpc.close();
    // grpc-js leaves the socket file behind; a stale socket would look like a live runtime.
    if (this.socket) fs.rmSync(this.socket, { force: true });
  }
}
