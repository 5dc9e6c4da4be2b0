// A CRI client: the two services over one gRPC connection (or two, when the image endpoint is a
// different socket, as crictl allows). It speaks only the protocol, so it drives strata-cri,
// containerd's CRI plugin and CRI-O alike. Errors keep their gRPC code as `grpcCode`.
import { GrpcClient } from '@strata/manager';
import { IMAGE_SERVICE, RUNTIME_SERVICE } from '../../api/protos';

/** crictl's default endpoints, tried in order when none is given (we add strata-cri's first). */
export const DEFAULT_ENDPOINTS = ['unix:///run/strata-cri/strata-cri.sock', 'unix:///run/containerd/containerd.sock', 'unix:///run/crio/crio.sock', 'unix:///var/run/cri-dockerd.sock'];

const socketPath = (endpoint: string): string => {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.includes('://')) throw Object.assign(new Error(`endpoint ${endpoint}: only unix:// endpoints are supported`), { usage: true });
  return endpoint;
};

export class CriClient {
  private readonly runtimeConn: GrpcClient;
  private readonly imageConn: GrpcClient;

  constructor(
    readonly runtimeEndpoint: string,
    readonly imageEndpoint: string = runtimeEndpoint,
    /** Per-call deadline (crictl's --timeout, default 2 s; pulls get no deadline like crictl's). */
    readonly timeoutMs = 2_000,
    /** --debug: each call and its outcome are written here. */
    private readonly debug?: NodeJS.WritableStream,
  ) {
    // namespace '' = no containerd-namespace header: the CRI has no namespaces.
    this.runtimeConn = new GrpcClient(socketPath(runtimeEndpoint), '');
    this.imageConn = imageEndpoint === runtimeEndpoint ? this.runtimeConn : new GrpcClient(socketPath(imageEndpoint), '');
  }

  runtime<Res = any>(method: string, req: object = {}, o: { timeoutMs?: number } = {}): Promise<Res> {
    return this.logged('RuntimeService', method, req, this.runtimeConn.call<Res>(RUNTIME_SERVICE, method, req, { timeoutMs: o.timeoutMs ?? this.timeoutMs }));
  }

  image<Res = any>(method: string, req: object = {}, o: { timeoutMs?: number } = {}): Promise<Res> {
    return this.logged('ImageService', method, req, this.imageConn.call<Res>(IMAGE_SERVICE, method, req, { timeoutMs: o.timeoutMs ?? this.timeoutMs }));
  }

  private async logged<Res>(service: string, method: string, req: object, p: Promise<Res>): Promise<Res> {
    if (!this.debug) return p;
    const t0 = Date.now();
    // Byte fields (ExecSync output) are shown by length, not content.
    const show = (v: unknown) => JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `<${x.length} bytes>` : x));
    this.debug.write(`DEBU ${service}.${method} request: ${show(req)}\n`);
    try {
      const res = await p;
      this.debug.write(`DEBU ${service}.${method} response (${Date.now() - t0} ms): ${show(res)}\n`);
      return res;
    } catch (e) {
      this.debug.write(`DEBU ${service}.${method} failed (${Date.now() - t0} ms): ${(e as Error).message}\n`);
      throw e;
    }
  }

  close(): void {
    this.runtimeConn.close();
    if (this.imageConn !== this.runtimeConn) this.imageConn.close();
  }
}
