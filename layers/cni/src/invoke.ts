// Calling one plugin (SPEC.md section 3 "Execution Protocol"): the runtime execs the binary named
// by the config's `type`, found in CNI_PATH, with
//   CNI_COMMAND      ADD | DEL | CHECK | VERSION
//   CNI_CONTAINERID  the container id
//   CNI_NETNS        path of the container's network namespace
//   CNI_IFNAME       interface name to create inside it
//   CNI_ARGS         extra "K1=V1;K2=V2" arguments
//   CNI_PATH         the plugin search path (plugins call other plugins, e.g. bridge calls host-local)
// and the plugin's config JSON on stdin. Exit 0 + a result JSON on stdout is success; non-zero exit
// + {"code","msg","details"} on stdout is an error.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { CNI_ERROR_CODES, CniError } from './errors';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export interface InvokeRequest {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  args?: [string, string][];
  /** The full config for this one plugin (name, cniVersion, prevResult, runtimeConfig already in). */
  config: Record<string, unknown>;
}

/** Plugins normally answer in milliseconds; a hung plugin must not hang the runtime. */
const PLUGIN_TIMEOUT_MS = 60_000;

export function findPlugin(type: string, binDirs: string[]): string {
  for (const dir of binDirs) {
    const file = join(dir, type);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this dir: try the next one
    }
  }
  throw new CniError(0, type, `failed to find plugin "${type}" in path [${binDirs.join(' ')}]`);
}

export async function invokePlugin(binDirs: string[], req: InvokeRequest): Promise<Record<string, unknown> | undefined> {
  const type = String(req.config.type);
  const file = findPlugin(type, binDirs);
  const env: Record<string, string> = {
    // Plugins exec iptables, ip and friends: give them a sane PATH but nothing else of ours.
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: req.command,
    CNI_CONTAINERID: req.containerId,
    CNI_NETNS: req.netns,
    CNI_IFNAME: req.ifName,
    CNI_ARGS: (req.args ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
    CNI_PATH: binDirs.join(':'),
  };
  const { code, stdout, stderr } = await run(file, env, JSON.stringify(req.config));
  const text = stdout.trim();
  if (code !== 0) {
    let err: { code?: number; msg?: string; details?: string } = {};
    try {
      err = JSON.parse(text);
    } catch {
      // not the spec's error JSON: fall back to what the plugin printed
    }
    const errCode = typeof err.code === 'number' ? err.code : 999;
    const msg = err.msg || stderr.trim() || text || `exit status ${code}`;
    const known = CNI_ERROR_CODES[errCode] ? ` (${CNI_ERROR_CODES[errCode]})` : '';
    throw new CniError(errCode, type, `plugin type="${type}" failed (${req.command.toLowerCase()}): ${msg}${known}`, err.details || stderr.trim() || undefined);
  }
  if (text === '') return undefined; // DEL and CHECK print nothing
  try {
    return JSON.parse(text);
  } catch {
    throw new CniError(6, type, `plugin type="${type}" (${req.command.toLowerCase()}): invalid JSON on stdout: ${text.slice(0, 200)}`);
  }
}

function run(file: string, env: Record<string, string>, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: PLUGIN_TIMEOUT_MS, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a plugin that exits before reading stdin: its exit status tells the story
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() + (signal ? `\nkilled by ${signal}` : '') });
    });
    child.stdin.end(input);
  });
}
