// runtime.md#state: the JSON `state` prints, checked against the state schema (@strata/oci's
// validator, written from the spec) and field by field.
import fs from 'node:fs';
import path from 'node:path';
import { validateState } from '@strata/oci';
import { defineTests, specUrl } from '../framework/testCase';
import type { TestContext } from '../framework/context';
import type { ContainerState } from '../framework/runtimeDriver';
import { expect, fail } from '../framework/assert';

async function stateOf(ctx: TestContext, id: string): Promise<ContainerState> {
  const s = await ctx.runtime.state(id);
  if (!s.state) fail(`state ${id} failed: ${s.parseError ?? s.call.stderr.trim()}`);
  return s.state;
}

function schemaProblems(doc: ContainerState): string | undefined {
  const issues = validateState(doc);
  return issues.length ? issues.map((i) => `${i.pointer || '/'} ${i.message}`).join('; ') : undefined;
}

const phases = ['created', 'running', 'stopped'] as const;

export const runtimeStateTests = defineTests([
  ...phases.map((phase) => ({
    id: `state.schema.${phase}`,
    title: `state of a ${phase} container matches the state schema`,
    section: specUrl('runtime', 'state'),
    level: 'MUST' as const,
    async run(ctx: TestContext) {
      // runtime.md#state: "When serialized in JSON, the format MUST adhere to the JSON Schema schema/state-schema.json."
      const c = await ctx.mustCreate(ctx.config(phase === 'stopped' ? ['true'] : ['sleep', '30']));
      if (phase !== 'created') await ctx.mustStart(c.id);
      await ctx.mustReachStatus(c.id, [phase]);
      const doc = await stateOf(ctx, c.id);
      const problems = schemaProblems(doc);
      expect(!problems, `state JSON does not match the schema: ${problems}`);
    },
  })),
  {
    id: 'state.fields',
    title: 'state names the id, the absolute bundle path and the container pid',
    section: specUrl('runtime', 'state'),
    level: 'MUST',
    async run(ctx) {
      const c = await ctx.mustCreate(ctx.config(['sleep', '30']));
      const s = await stateOf(ctx, c.id);
      expect(s.id === c.id, `id: expected ${c.id}, got ${JSON.stringify(s.id)}`);
      expect(typeof s.ociVersion === 'string' && /^\d+\.\d+\.\d+/.test(s.ociVersion), `ociVersion is not a version: ${JSON.stringify(s.ociVersion)}`);
      expect(typeof s.bundle === 'string' && path.isAbsolute(s.bundle), `bundle must be an absolute path, got ${JSON.stringify(s.bundle)}`);
      expect(fs.realpathSync(s.bundle!) === fs.realpathSync(c.bundle), `bundle: expected ${c.bundle}, got ${s.bundle}`);
      // "pid (int, REQUIRED when status is created or running on Linux)": the container process,
      // alive, in the container's new pid namespace.
      expect(Number.isInteger(s.pid) && s.pid! > 0, `pid: expected a positive integer, got ${JSON.stringify(s.pid)}`);
      const theirs = fs.readlinkSync(`/proc/${s.pid}/ns/pid`);
      const ours = fs.readlinkSync('/proc/self/ns/pid');
      expect(theirs !== ours, `pid ${s.pid} is not in the container's pid namespace`);
    },
  },
  {
    id: 'state.annotations',
    title: 'state carries the annotations of config.json',
    section: specUrl('runtime', 'state'),
    level: 'SHOULD',
    async run(ctx) {
      const config = ctx.config(['sleep', '30']);
      config.annotations = { 'org.strata.spec-tests.key': 'value-1', 'com.example.other': 'x y' };
      const c = await ctx.mustCreate(config);
      const s = await stateOf(ctx, c.id);
      for (const [k, v] of Object.entries(config.annotations)) {
        expect(s.annotations?.[k] === v, `annotation ${k}: expected ${JSON.stringify(v)}, state has ${JSON.stringify(s.annotations?.[k])}`);
      }
    },
  },
]);
