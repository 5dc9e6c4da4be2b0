// runtime.md#lifecycle and #state: the states a container goes through and what each step must
// (not) do. Probes: busybox `echo`/`sleep` as the container process; the output file shows
// whether the user program ran.
import fs from 'node:fs';
import path from 'node:path';
import { defineTests, specUrl } from '../framework/testCase';
import { expect, expectIncludes, fail } from '../framework/assert';
import { safeRead, sleep } from '../framework/runtimeDriver';
import { serializeConfig } from '../framework/configBuilder';

const MARK = 'strata-program-ran';

export const runtimeLifecycleTests = defineTests([
  {
    id: 'lifecycle.create.program-not-run',
    title: 'create does not run the user-specified program',
    section: specUrl('runtime', 'lifecycle'),
    level: 'MUST',
    async run(ctx) {
      // runtime.md#lifecycle step 2: "the user-specified program (from process) MUST NOT be run at this time".
      const c = await ctx.mustCreate(ctx.config(`echo ${MARK}`));
      await sleep(300);
      const out = safeRead(c.stdoutFile);
      expect(!out.includes(MARK), `the program ran before start (output: ${JSON.stringify(out.trim())})`);
    },
  },
  {
    id: 'lifecycle.create.status-created',
    title: 'after create the state is "created"',
    section: specUrl('runtime', 'state'),
    level: 'MUST',
    async run(ctx) {
      const c = await ctx.mustCreate(ctx.config(['sleep', '30']));
      const s = await ctx.runtime.state(c.id);
      expect(s.state?.status === 'created', `status after create: expected "created", got ${JSON.stringify(s.state?.status ?? s.call.stderr.trim())}`);
    },
  },
  {
    id: 'lifecycle.start.runs-program',
    title: 'start runs the user-specified program',
    section: specUrl('runtime', 'start'),
    level: 'MUST',
    async run(ctx) {
      const out = await ctx.run(ctx.config(`echo ${MARK}`));
      expectIncludes(out.stdout, MARK, 'container output after start');
    },
  },
  {
    id: 'lifecycle.start.status-running',
    title: 'after start a live program is "running"',
    section: specUrl('runtime', 'state'),
    level: 'MUST',
    async run(ctx) {
      const c = await ctx.mustCreate(ctx.config(['sleep', '30']));
      await ctx.mustStart(c.id);
      const s = await ctx.runtime.state(c.id);
      expect(s.state?.status === 'running', `status after start: expected "running", got ${JSON.stringify(s.state?.status ?? s.call.stderr.trim())}`);
    },
  },
  {
    id: 'lifecycle.exit.status-stopped',
    title: 'once the container process exits the state is "stopped"',
    section: specUrl('runtime', 'state'),
    level: 'MUST',
    async run(ctx) {
      const c = await ctx.mustCreate(ctx.config(['true']));
      await ctx.mustStart(c.id);
      await ctx.mustReachStatus(c.id, ['stopped']);
    },
  },
  {
    id: 'lifecycle.create.config-frozen',
    title: 'changes to config.json after create do not affect the container',
    section: specUrl('runtime', 'lifecycle'),
    level: 'MUST',
    async run(ctx) {
      // runtime.md#lifecycle step 2: "Any updates to config.json after this step MUST NOT affect the container."
      const config = ctx.config(`echo ${MARK}-original`);
      const c = await ctx.mustCreate(config);
      const edited = { ...config, process: { ...config.process!, args: ['/bin/sh', '-c', `echo ${MARK}-edited`] } };
      fs.writeFileSync(path.join(c.bundle, 'config.json'), serializeConfig(edited));
      await ctx.mustStart(c.id);
      await ctx.mustReachStatus(c.id, ['stopped']);
      const out = safeRead(c.stdoutFile);
      if (out.includes(`${MARK}-edited`)) fail('start ran the args written to config.json after create');
      expectIncludes(out, `${MARK}-original`, 'container output');
    },
  },
  {
    id: 'lifecycle.delete.state-gone',
    title: 'after delete, querying the container generates an error',
    section: specUrl('runtime', 'query-state'),
    level: 'MUST',
    async run(ctx) {
      const out = await ctx.run(ctx.config(['true']));
      const s = await ctx.runtime.state(out.id);
      expect(!s.call.ok, `state of a deleted container succeeded: ${s.call.stdout.trim()}`);
    },
  },
  {
    id: 'lifecycle.delete.id-reusable',
    title: 'a deleted container id may be used again',
    section: specUrl('runtime', 'delete'),
    level: 'MAY',
    async run(ctx) {
      const first = await ctx.run(ctx.config(['true']));
      const again = await ctx.create(ctx.config(['true']), { id: first.id });
      expect(again.call.ok, `create with the id of a deleted container failed: ${again.call.stderr.trim()}`);
      await ctx.runtime.delete(first.id, true);
    },
  },
]);
