// The shapes every route module of the Engine API shares: a request with its path parameters
// and query, a response that can be JSON, a stream (chunked JSON lines, logs), or a hijacked
// connection (attach, exec start: HTTP/1.1 101 then raw bytes both ways).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Writable } from 'node:stream';

export interface ApiRequest {
  method: string;
  /** The path without the /v1.NN prefix, e.g. /containers/abc/json. */
  path: string;
  /** {name} parameters of the route pattern, decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The API version the client asked for (from the /v1.NN prefix; the server's default without it). */
  apiVersion: string;
  /** The body parsed as JSON (undefined when empty); a body that is not JSON is a 400 naming the route. */
  json<T = any>(): Promise<T | undefined>;
  /** The raw request (for streamed bodies: image load, build context, archive upload). */
  raw: IncomingMessage;
}

export interface ApiResponse {
  /** Send a JSON body with this status. */
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  /** 204 No Content (or another body-less status). */
  empty(status?: number): void;
  /** Start a chunked response; the caller writes to the stream and ends it. */
  stream(status: number, contentType: string, headers?: Record<string, string>): Writable;
  /**
   * Take over the connection (Connection: Upgrade, Upgrade: tcp): writes the 101 UPGRADED
   * response with this content type and returns the socket for raw bytes both ways.
   */
  hijack(contentType: string): Duplex;
  raw: ServerResponse;
}

export type RouteHandler = (req: ApiRequest, res: ApiResponse) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** e.g. '/containers/{id}/json'; a last parameter written {name*} takes the rest of the path (image names hold '/'). */
  pattern: string;
  handler: RouteHandler;
}
