// The contract between the streaming server (transport: URLs, SPDY, websockets, channels) and the
// container runtime that actually runs processes. The kubelet's streaming server has the same split
// (kubelet/cri/streaming: a `Runtime` interface with Exec/Attach/PortForward taking io streams), so
// the runtime never sees a frame and the transport never sees a container.
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

/** A terminal size as the resize channel carries it (client-go's remotecommand.TerminalSize). */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * Terminal resizes. The server hands the runtime a `TerminalSizeQueue`, which is both: an
 * EventEmitter emitting 'resize' (TerminalSize) and an async iterable ending when the session ends.
 * Clients may pass either form. Use `onResize()` to consume either without caring which.
 */
export type ResizeSource = AsyncIterable<TerminalSize> | EventEmitter;

export interface StreamOpts {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  tty: boolean;
  resize?: ResizeSource;
  /**
   * Aborted when the client goes away before the process ends (the connection dropped): the runtime
   * should then stop the exec'd process / detach, as containerd's CRI does when the stream context
   * is cancelled. Optional for callers; the streaming server always passes one.
   */
  signal?: AbortSignal;
}

export interface StreamingRuntime {
  /** Run cmd in the container with the given streams; resolve with its exit code. */
  execStream(containerId: string, cmd: string[], o: StreamOpts): Promise<number>;
  /** Connect the streams to the container's main process until it exits or the client leaves. */
  attachStream(containerId: string, o: StreamOpts): Promise<void>;
  /** Connect `conn` to `port` inside the pod's network namespace; resolve when both sides close. */
  portForwardStream(podSandboxId: string, port: number, conn: Duplex): Promise<void>;
}

export type StreamKind = 'exec' | 'attach' | 'portforward';

/** The CRI request a token stands for (decoded runtime.v1 messages, camelCase fields). */
export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}
export interface AttachRequest {
  containerId: string;
  stdin?: boolean;
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}
export interface PortForwardRequest {
  podSandboxId: string;
  port?: number[];
}

export type Transport = 'spdy' | 'websocket';

export interface ExecClientOptions {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  tty: boolean;
  resize?: ResizeSource;
  /** Default 'spdy' (what crictl and kubectl of cri-api <= 1.29 speak). */
  protocol?: Transport;
}

export interface PortForwardClientOptions {
  protocol?: Transport;
  /** Local address to listen on (default 127.0.0.1). */
  address?: string;
}
