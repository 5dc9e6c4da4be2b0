// What a build stage carries from one step to the next: the image so far (its config document,
// layers and ID) and what only the Dockerfile knows (the SHELL, the ARGs in scope).
import type { Descriptor, ImageConfig } from '@strata/manager';

export interface StageState {
  /** The image config document so far (run config, rootfs.diff_ids, history). */
  doc: ImageConfig;
  /** Layer blobs, one per diff_id. */
  layers: Descriptor[];
  /** Image ID of the last step (config digest); '' for FROM scratch before any step. */
  id: string;
  /** SHELL (default /bin/sh -c): the prefix of shell-form RUN, CMD and ENTRYPOINT. */
  shell: string[];
  /** ARGs declared in this stage and their values (undefined: declared without a value). */
  args: Map<string, string | undefined>;
  /** Set by a CMD of this Dockerfile: an ENTRYPOINT then keeps it (else it clears the base image's). */
  cmdSet: boolean;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export const cloneDoc = (d: ImageConfig): ImageConfig => JSON.parse(JSON.stringify(d)) as ImageConfig;

/** The value of an ENV variable in a config's Env list. */
export function envValue(env: string[] | undefined, name: string): string | undefined {
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if ((i < 0 ? e : e.slice(0, i)) === name) return i < 0 ? '' : e.slice(i + 1);
  }
  return undefined;
}

/** Set NAME=value in an Env list, in place of an earlier value. */
export function setEnv(env: string[], name: string, value: string): string[] {
  const out = env.filter((e) => (e.indexOf('=') < 0 ? e : e.slice(0, e.indexOf('='))) !== name);
  out.push(`${name}=${value}`);
  return out;
}

/** Variable lookup for substitution: ENV wins over ARG (Dockerfile reference, "Using ARG variables"). */
export const stageLookup = (st: StageState) => (name: string) => envValue(st.doc.config?.Env, name) ?? st.args.get(name);

/** Build args that reach RUN: declared, valued, not shadowed by ENV; sorted as docker lists them. */
export function runArgs(st: StageState): string[] {
  return [...st.args.entries()]
    .filter(([k, v]) => v !== undefined && envValue(st.doc.config?.Env, k) === undefined)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}
