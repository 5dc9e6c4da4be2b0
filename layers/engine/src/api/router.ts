// Route matching: patterns like /containers/{id}/json; a last parameter written {name*} takes
// the rest of the path (image names hold '/', e.g. DELETE /images/docker.io/library/busybox).
import type { Route } from './types';

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(routes: Route[]): void {
    for (const route of routes) {
      const names: string[] = [];
      const re = route.pattern.replace(/[.]/g, '\\.').replace(/\{(\w+)(\*?)\}/g, (_m, name: string, rest: string) => {
        names.push(name);
        return rest ? '(.+)' : '([^/]+)';
      });
      this.routes.push({ route, re: new RegExp(`^${re}/?$`), names });
    }
  }

  /** The route for this method and path, 'method' when only the method is wrong, or undefined. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const c of this.routes) {
      const m = c.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      // HEAD falls back to the GET route (net/http and moby's router do the same)
      if (c.route.method !== method && !(method === 'HEAD' && c.route.method === 'GET' && !this.hasExact('HEAD', path))) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { route: c.route, params };
    }
    return pathMatched ? 'method' : undefined;
  }

  private hasExact(method: string, path: string): boolean {
    return this.routes.some((c) => c.route.method === method && c.re.test(path));
  }
}
