// grpc.health.v1.Health: containerd serves it; `strata-manager` answers SERVING once it listens.
import type { Handler } from '../grpc';

export function healthService(): Record<string, Handler> {
  return {
    Check: () => ({ status: 1 }),
    Watch: async (_r: unknown, ctx, send) => {
      send({ status: 1 });
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
}
