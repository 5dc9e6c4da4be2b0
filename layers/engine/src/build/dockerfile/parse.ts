// Dockerfile -> instructions (the Dockerfile reference's grammar, checked the way docker's
// parser checks it before anything runs): keyword (any case), --flags, then either the exec
// form (a JSON array of strings) or the shell form (the rest of the line). Variables are NOT
// expanded here: their values change as the build goes (ARG, ENV), so the builder expands each
// instruction when it reaches it (words.ts).
import { DockerfileError, splitLines } from './lines';

export { DockerfileError };

export interface Instruction {
  /** Physical line the instruction starts on (1-based). */
  line: number;
  /** The keyword, upper case. */
  cmd: string;
  /** The whole instruction as written (continuations joined), for "Step 1/5 : ...". */
  original: string;
  /** The text after the keyword and its flags. */
  args: string;
  /** --name=value flags (a flag without "=" has the value "true"). */
  flags: Record<string, string>;
  /** The exec (JSON array) form, when the instruction was written that way. */
  json?: string[];
}

export interface Stage {
  /** The "AS name" of FROM, lower case. */
  name?: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: Record<string, string>;
  escape: '\\' | '`';
  /** ARGs before the first FROM: usable in FROM lines only (and as defaults for ARG in a stage). */
  globalArgs: Instruction[];
  stages: Stage[];
}

/** What each instruction accepts: its flags, whether it has an exec form, its minimum arguments. */
const GRAMMAR: Record<string, { flags?: string[]; json?: boolean; min?: number }> = {
  FROM: { flags: ['platform'], min: 1 },
  ARG: { min: 1 },
  ENV: { min: 1 },
  LABEL: { min: 1 },
  RUN: { json: true, min: 1, flags: [] },
  CMD: { json: true },
  ENTRYPOINT: { json: true },
  COPY: { json: true, flags: ['chown', 'chmod', 'from'], min: 2 },
  ADD: { json: true, flags: ['chown', 'chmod'], min: 2 },
  WORKDIR: { min: 1 },
  USER: { min: 1 },
  EXPOSE: { min: 1 },
  VOLUME: { json: true, min: 1 },
  STOPSIGNAL: { min: 1 },
  SHELL: { json: true, min: 1 },
  MAINTAINER: { min: 1 },
};

/** Known to docker, refused here with a reason instead of "unknown instruction". */
const UNSUPPORTED: Record<string, string> = {
  HEALTHCHECK: 'health checks are not implemented by strata-engine',
  ONBUILD: 'triggers for child images are not implemented by strata-engine',
};

const FLAG = /^--([a-z][a-z-]*)(?:=(\S*))?(?:\s+|$)/;

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const { directives, escape, lines } = splitLines(text, file);
  const err = (line: number, msg: string) => new DockerfileError(`${file}:${line}: ${msg}`, line);
  const out: Dockerfile = { directives, escape, globalArgs: [], stages: [] };
  const names = new Set<string>();
  for (const { line, text: t } of lines) {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(t);
    if (!m) continue;
    const cmd = m[1].toUpperCase();
    let rest = m[2].trim();
    if (cmd in UNSUPPORTED) throw err(line, `${cmd} is not supported: ${UNSUPPORTED[cmd]}`);
    const g = GRAMMAR[cmd];
    if (!g) throw err(line, `unknown instruction: ${m[1]}`);

    const flags: Record<string, string> = {};
    if (g.flags) {
      for (let f = FLAG.exec(rest); f; f = FLAG.exec(rest)) {
        if (!g.flags.includes(f[1])) throw err(line, `${cmd}: unknown flag: --${f[1]}${cmd === 'RUN' ? ' (RUN --mount/--network/--security are BuildKit features)' : ''}`);
        if (f[1] in flags) throw err(line, `${cmd}: flag --${f[1]} given twice`);
        flags[f[1]] = f[2] ?? 'true';
        rest = rest.slice(f[0].length);
      }
    }
    const ins: Instruction = { line, cmd, original: t.trim(), args: rest, flags };
    if (g.json && rest.startsWith('[')) {
      // Not valid JSON (e.g. "[ -f x ] && y" in RUN) means: the shell form, as docker decides.
      try {
        const v = JSON.parse(rest) as unknown;
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) ins.json = v;
      } catch {
        /* shell form */
      }
    }
    if (cmd === 'SHELL' && !ins.json) throw err(line, 'SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]');
    const count = ins.json ? ins.json.length : rest === '' ? 0 : rest.split(/\s+/).length;
    if (g.min && count < g.min) {
      throw err(line, g.min === 1 ? `${cmd} requires at least one argument` : `${cmd} requires at least two arguments, but only ${count} provided. Destination could not be determined`);
    }

    if (cmd === 'FROM') {
      const words = rest.split(/\s+/);
      if (words.length !== 1 && !(words.length === 3 && words[1].toLowerCase() === 'as')) throw err(line, 'FROM requires either one or three arguments (FROM image [AS name])');
      const stage: Stage = { from: ins, instructions: [] };
      if (words.length === 3) {
        const name = words[2].toLowerCase();
        if (!/^[a-z][a-z0-9._-]*$/.test(name)) throw err(line, `invalid name for build stage: ${JSON.stringify(words[2])}, name can't start with a number or contain symbols`);
        if (names.has(name)) throw err(line, `duplicate name ${name} (another stage has it)`);
        names.add(name);
        stage.name = name;
      }
      out.stages.push(stage);
      continue;
    }
    const stage = out.stages[out.stages.length - 1];
    if (!stage) {
      if (cmd !== 'ARG') throw err(line, `${cmd} before FROM: only ARG may come before the first FROM`);
      out.globalArgs.push(ins);
      continue;
    }
    stage.instructions.push(ins);
  }
  if (out.stages.length === 0) throw new DockerfileError(`${file}: no FROM instruction: the file must start with FROM (after optional ARGs)`);
  return out;
}

/** The stage a build stops at: --target by name, else the last one. */
export function targetStage(df: Dockerfile, target?: string): number {
  if (!target) return df.stages.length - 1;
  const i = df.stages.findIndex((s) => s.name === target.toLowerCase());
  if (i === -1) throw new DockerfileError(`failed to reach build target ${target} in Dockerfile`);
  return i;
}
