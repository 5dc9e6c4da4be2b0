// runtime.md#operations and #errors: each operation in a state where the spec forbids it must
// generate an error AND leave the container as it was ("generating an error MUST leave the state
// of the environment as if the operation were never attempted").
import fs from 'node:fs';
import path from 'node:path';
import { defineTests, specUrl, type ConformanceTest } from '../framework/testCase';
import type { TestContext } from '../framework/context';
import { expect, expectIncludes, fail, clip } from '../framework/assert';
import { safeRead, type RuntimeCall } from '../framework/runtimeDriver';

/** The operation must have failed and the status must be what it was before. */
async function expectRefused(ctx: TestContext, id: string, call: RuntimeCall, before: string, what: string): Promise<void> {
  if (call.ok) fail(`${what}: succeeded (exit 0), the spec requires an error`);
  const after = await ctx.runtime.status(id);
  expect(after === before, `${what}: failed as required but changed the state from "${before}" to "${after ?? 'gone'}"`);
}

async function running(ctx: TestContext, args: string[] | string = ['sleep', '30']) {
  const c = await ctx.mustCreate(ctx.config(args));
  await ctx.mustStart(c.id);
  await ctx.mustReachStatus(c.id, ['running']);
  return c;
}

async function stopped(ctx: TestContext) {
  const c = await ctx.mustCreate(ctx.config(['true']));
  await ctx.mustStart(c.id);
  await ctx.mustReachStatus(c.id, ['stopped']);
  return c;
}

const unknownIdTests: ConformanceTest[] = (['state', 'start', 'kill', 'delete'] as const).map((op) => ({
  id: `operations.${op}.unknown-id`,
  title: `${op} of a container that does not exist generates an error`,
  section: specUrl('runtime', op === 'state' ? 'query-state' : op),
  level: 'MUST' as const,
  async run(ctx: TestContext) {
    const id = ctx.newId('ghost');
    const call =
      op === 'state' ? (await ctx.runtime.state(id)).call : op === 'start' ? await ctx.runtime.start(id) : op === 'kill' ? await ctx.runtime.kill(id, 'KILL') : await ctx.runtime.delete(id);
    expect(!call.ok, `${op} ${id} succeeded for an unknown container`);
    expect(!fs.existsSync(path.join(ctx.runtime.root, id)), `${op} of an unknown id created state in --root`);
  },
}));

export const runtimeOperationsTests = defineTests([
  ...unknownIdTests,
  {
    id: 'operations.create.duplicate-id',
    title: 'create with an id already in use generates an error and creates nothing',
    section: specUrl('runtime', 'create'),
    level: 'MUST',
    async run(ctx) {
      const a = await running(ctx);
      const pidBefore = (await ctx.runtime.state(a.id)).state?.pid;
      const b = await ctx.create(ctx.config(['sleep', '30']), { id: a.id });
      await expectRefused(ctx, a.id, b.call, 'running', 'second create with the same id');
      const pidAfter = (await ctx.runtime.state(a.id)).state?.pid;
      expect(pidAfter === pidBefore, `the existing container's pid changed from ${pidBefore} to ${pidAfter}`);
    },
  },
  {
    id: 'operations.create.missing-rootfs',
    title: 'create fails when root.path does not exist, leaving no container',
    section: specUrl('runtime', 'lifecycle'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config(['true']);
      config.root = { path: path.join(ctx.dir, 'no-such-rootfs'), readonly: true };
      await ctx.expectCreateError(config, 'root.path missing');
    },
  },
  {
    id: 'operations.create.invalid-json',
    title: 'create fails on a config.json that is not JSON',
    section: specUrl('runtime', 'create'),
    level: 'MUST',
    async run(ctx) {
      const id = ctx.newId();
      const bundle = ctx.bundle(ctx.config(['true']));
      fs.writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion": "1.0.2", "process": ');
      const r = await ctx.runtime.create(id, bundle, { stdoutFile: path.join(bundle, 'out'), stderrFile: path.join(bundle, 'err') });
      expect(!r.ok, 'create accepted a truncated config.json');
      expect(!(await ctx.runtime.state(id)).call.ok, 'create failed but a container exists');
    },
  },
  {
    id: 'operations.create.unapplicable-property',
    title: 'create fails when a property cannot be applied (namespace path does not exist)',
    section: specUrl('runtime', 'create'),
    level: 'MUST',
    async run(ctx) {
      // runtime.md#create: "If the runtime cannot apply a property as specified in the
      // configuration, it MUST generate an error and a new container MUST NOT be created."
      const config = ctx.config(['true']);
      config.linux!.namespaces = config.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: path.join(ctx.dir, 'no-such-netns') } : n));
      await ctx.expectCreateError(config, 'network namespace path missing');
    },
  },
  {
    id: 'operations.start.no-process',
    title: 'a config without process cannot be started',
    section: specUrl('runtime', 'start'),
    level: 'MUST',
    async run(ctx) {
      // runtime.md#start: "This operation MUST generate an error if process was not set."
      // A runtime may refuse already at create; both are an error before anything runs.
      const config = ctx.config(['true']);
      delete config.process;
      const c = await ctx.create(config);
      if (!c.call.ok) return;
      const r = await ctx.runtime.start(c.id);
      expect(!r.ok, 'start succeeded although config.json has no process');
    },
  },
  {
    id: 'operations.start.twice',
    title: 'start of a running container generates an error and changes nothing',
    section: specUrl('runtime', 'start'),
    level: 'MUST',
    async run(ctx) {
      const c = await running(ctx);
      await expectRefused(ctx, c.id, await ctx.runtime.start(c.id), 'running', 'start of a running container');
    },
  },
  {
    id: 'operations.start.stopped',
    title: 'start of a stopped container generates an error and changes nothing',
    section: specUrl('runtime', 'start'),
    level: 'MUST',
    async run(ctx) {
      const c = await stopped(ctx);
      await expectRefused(ctx, c.id, await ctx.runtime.start(c.id), 'stopped', 'start of a stopped container');
    },
  },
  {
    id: 'operations.kill.created',
    title: 'kill KILL of a created container stops it',
    section: specUrl('runtime', 'kill'),
    level: 'MUST',
    async run(ctx) {
      const c = await ctx.mustCreate(ctx.config(['sleep', '30']));
      const r = await ctx.runtime.kill(c.id, 'KILL');
      expect(r.ok, `kill of a created container failed: ${clip(r.stderr)}`);
      await ctx.mustReachStatus(c.id, ['stopped']);
    },
  },
  {
    id: 'operations.kill.delivers-signal',
    title: 'kill sends the named signal to the container process',
    section: specUrl('runtime', 'kill'),
    level: 'MUST',
    async run(ctx) {
      // The probe traps SIGUSR1 (pid 1 of a pid namespace only gets signals it handles).
      const c = await running(ctx, `trap 'echo got-USR1; exit 0' USR1; echo ready; while :; do sleep 0.05; done`);
      for (let i = 0; i < 100 && !safeRead(c.stdoutFile).includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
      const r = await ctx.runtime.kill(c.id, 'USR1');
      expect(r.ok, `kill USR1 failed: ${clip(r.stderr)}`);
      await ctx.mustReachStatus(c.id, ['stopped']);
      expectIncludes(safeRead(c.stdoutFile), 'got-USR1', 'container output after kill USR1');
    },
  },
  {
    id: 'operations.kill.stopped',
    title: 'kill of a stopped container generates an error and changes nothing',
    section: specUrl('runtime', 'kill'),
    level: 'MUST',
    async run(ctx) {
      const c = await stopped(ctx);
      await expectRefused(ctx, c.id, await ctx.runtime.kill(c.id, 'KILL'), 'stopped', 'kill of a stopped container');
    },
  },
  {
    id: 'operations.delete.running',
    title: 'delete of a running container generates an error and changes nothing',
    section: specUrl('runtime', 'delete'),
    level: 'MUST',
    async run(ctx) {
      const c = await running(ctx);
      await expectRefused(ctx, c.id, await ctx.runtime.delete(c.id), 'running', 'delete of a running container');
    },
  },
  {
    id: 'operations.delete.created',
    title: 'delete of a created (not stopped) container generates an error and changes nothing',
    section: specUrl('runtime', 'delete'),
    level: 'MUST',
    async run(ctx) {
      // runtime.md#delete: "Attempting to delete a container that is not stopped MUST have no
      // effect on the container and MUST generate an error." runc and crun delete it anyway.
      const c = await ctx.mustCreate(ctx.config(['sleep', '30']));
      await expectRefused(ctx, c.id, await ctx.runtime.delete(c.id), 'created', 'delete of a created container');
    },
  },
  {
    id: 'operations.delete.stopped',
    title: 'delete of a stopped container removes it',
    section: specUrl('runtime', 'delete'),
    level: 'MUST',
    async run(ctx) {
      const c = await stopped(ctx);
      const r = await ctx.runtime.delete(c.id);
      expect(r.ok, `delete of a stopped container failed: ${clip(r.stderr)}`);
      expect(!(await ctx.runtime.state(c.id)).call.ok, 'the container still exists after delete');
    },
  },
  {
    id: 'operations.delete.force-running',
    title: 'delete --force stops and removes a running container',
    section: specUrl('runtime', 'delete'),
    level: 'SHOULD',
    async run(ctx) {
      // --force is the runc CLI's (and runtime-tools') convention, not runtime.md's text.
      const c = await running(ctx);
      const r = await ctx.runtime.delete(c.id, true);
      expect(r.ok, `delete --force failed: ${clip(r.stderr)}`);
      expect(!(await ctx.runtime.state(c.id)).call.ok, 'the container still exists after delete --force');
    },
  },
  {
    id: 'operations.create.pid-file',
    title: '--pid-file receives the container process pid',
    section: specUrl('runtime', 'create'),
    level: 'SHOULD',
    async run(ctx) {
      const pidFile = path.join(ctx.dir, 'container.pid');
      const c = await ctx.mustCreate(ctx.config(['sleep', '30']), { pidFile });
      const text = safeRead(pidFile).trim();
      const s = await ctx.runtime.state(c.id);
      expect(/^\d+$/.test(text), `pid file content: expected a number, got ${JSON.stringify(text)}`);
      expect(Number(text) === s.state?.pid, `pid file says ${text}, state says ${s.state?.pid}`);
    },
  },
]);
