// config.md#posix-platform-hooks and runtime.md#lifecycle steps 3-13: which hooks run during
// which operation, in which order, what they get on stdin, and what a failing hook does.
// Every hook appends its name to one log file by its host path, except startContainer (and the
// program), which run after pivot_root and write it through a bind mount at /hooklog.
import fs from 'node:fs';
import path from 'node:path';
import type { Hook, Hooks } from '@strata/oci';
import { defineTests, specUrl } from '../framework/testCase';
import type { TestContext } from '../framework/context';
import { expect, expectEqual, fail, clip } from '../framework/assert';
import { safeRead } from '../framework/runtimeDriver';

type HookName = keyof Hooks;
// Hooks that see the host's filesystem: the runtime-namespace ones, and createContainer, which
// runs in the container's namespaces but "before the pivot_root" (config.md#createcontainer-hooks).
const seesHostFs: HookName[] = ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'];

interface HookSetup {
  logFile: string;
  stateFile: (name: string) => string;
  lines: () => string[];
}

/** A hook that logs its name and saves its stdin (the state), optionally failing. */
function loggingHook(name: HookName, logDir: string, exitCode = 0): Hook {
  const dir = seesHostFs.includes(name) ? logDir : '/hooklog';
  return {
    path: '/bin/sh',
    args: ['sh', '-c', `echo ${name} >> ${dir}/hooks.log; cat > ${dir}/${name}.json; exit ${exitCode}`],
    env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
  };
}

function hookConfig(ctx: TestContext, names: HookName[], opts: { failing?: HookName; program?: string } = {}) {
  const logDir = path.join(ctx.dir, 'hooklog');
  fs.mkdirSync(logDir, { recursive: true, mode: 0o777 });
  const config = ctx.config(opts.program ?? 'echo program >> /hooklog/hooks.log');
  config.mounts!.push({ destination: '/hooklog', type: 'bind', source: logDir, options: ['rbind', 'rw'] });
  config.hooks = {};
  for (const n of names) config.hooks[n] = [loggingHook(n, logDir, opts.failing === n ? 1 : 0)];
  const setup: HookSetup = {
    logFile: path.join(logDir, 'hooks.log'),
    stateFile: (name) => path.join(logDir, `${name}.json`),
    lines: () => safeRead(path.join(logDir, 'hooks.log')).split('\n').filter(Boolean),
  };
  return { config, setup };
}

const ALL: HookName[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

export const hooksTests = defineTests([
  {
    id: 'hooks.create-phase',
    title: 'create runs prestart, createRuntime, createContainer in order and nothing later',
    section: specUrl('config', 'posix-platform-hooks'),
    level: 'MUST',
    async run(ctx) {
      const { config, setup } = hookConfig(ctx, ALL);
      await ctx.mustCreate(config);
      expectEqual(setup.lines(), ['prestart', 'createRuntime', 'createContainer'], 'hooks run by create');
    },
  },
  {
    id: 'hooks.start-phase',
    title: 'start runs startContainer before the program and poststart before returning',
    section: specUrl('config', 'posix-platform-hooks'),
    level: 'MUST',
    async run(ctx) {
      const { config, setup } = hookConfig(ctx, ['startContainer', 'poststart']);
      const c = await ctx.mustCreate(config);
      const atCreate = setup.lines();
      await ctx.mustStart(c.id);
      const afterStart = setup.lines();
      expect(atCreate.length === 0, `hooks ran at create: ${atCreate.join(', ')}`);
      expect(afterStart.includes('poststart'), `start returned before poststart ran (log: ${afterStart.join(', ')})`);
      await ctx.mustReachStatus(c.id, ['stopped']);
      const all = setup.lines();
      expect(all.indexOf('startContainer') >= 0 && all.indexOf('startContainer') < all.indexOf('program'), `startContainer must run before the program (log: ${all.join(', ')})`);
    },
  },
  {
    id: 'hooks.poststop',
    title: 'delete runs poststop after the container is gone',
    section: specUrl('config', 'poststop'),
    level: 'MUST',
    async run(ctx) {
      const { config, setup } = hookConfig(ctx, ['poststop']);
      const out = await ctx.run(config);
      expectEqual(setup.lines(), ['program', 'poststop'], 'log after delete');
      expect(!(await ctx.runtime.state(out.id)).call.ok, 'container still exists after delete');
    },
  },
  {
    id: 'hooks.state-on-stdin',
    title: 'hooks receive the container state on stdin',
    section: specUrl('config', 'posix-platform-hooks'),
    level: 'MUST',
    async run(ctx) {
      const { config, setup } = hookConfig(ctx, ['prestart', 'createRuntime']);
      const c = await ctx.mustCreate(config);
      const pid = (await ctx.runtime.state(c.id)).state?.pid;
      for (const name of ['prestart', 'createRuntime']) {
        const text = safeRead(setup.stateFile(name));
        let doc: Record<string, unknown>;
        try {
          doc = JSON.parse(text) as Record<string, unknown>;
        } catch {
          fail(`${name} hook stdin is not JSON: ${JSON.stringify(clip(text, 200))}`);
        }
        expect(doc.id === c.id, `${name} state id: expected ${c.id}, got ${JSON.stringify(doc.id)}`);
        expect(doc.pid === pid, `${name} state pid: expected ${pid} (runtime namespace), got ${JSON.stringify(doc.pid)}`);
        expect(typeof doc.bundle === 'string' && fs.realpathSync(doc.bundle) === fs.realpathSync(c.bundle), `${name} state bundle: expected ${c.bundle}, got ${JSON.stringify(doc.bundle)}`);
        expect(typeof doc.status === 'string' && typeof doc.ociVersion === 'string', `${name} state lacks status/ociVersion: ${clip(text, 200)}`);
      }
    },
  },
  {
    id: 'hooks.prestart-failure',
    title: 'a failing prestart hook makes create fail and the program never runs',
    section: specUrl('runtime', 'lifecycle'),
    level: 'MUST',
    async run(ctx) {
      const { config, setup } = hookConfig(ctx, ['prestart'], { failing: 'prestart' });
      await ctx.expectCreateError(config, 'prestart hook exiting 1');
      expect(!setup.lines().includes('program'), 'the program ran although prestart failed');
    },
  },
  {
    id: 'hooks.poststart-failure',
    title: 'a failing poststart hook is only a warning: start succeeds',
    section: specUrl('runtime', 'lifecycle'),
    level: 'MUST',
    async run(ctx) {
      // runtime.md#lifecycle step 9: "If any poststart hook fails, the runtime MUST log a warning,
      // but the remaining hooks and lifecycle continue as if the hook had succeeded."
      const { config } = hookConfig(ctx, ['poststart'], { failing: 'poststart', program: 'sleep 30' });
      const c = await ctx.mustCreate(config);
      const r = await ctx.runtime.start(c.id);
      expect(r.ok, `start failed because poststart failed (exit ${r.code}): ${clip(r.stderr)}`);
      const s = await ctx.runtime.status(c.id);
      expect(s === 'running', `after a failed poststart the container is ${s ?? 'gone'}, expected running`);
    },
  },
  {
    id: 'hooks.poststop-failure',
    title: 'a failing poststop hook is only a warning: delete succeeds',
    section: specUrl('runtime', 'lifecycle'),
    level: 'MUST',
    async run(ctx) {
      const { config } = hookConfig(ctx, ['poststop'], { failing: 'poststop', program: 'true' });
      const c = await ctx.mustCreate(config);
      await ctx.mustStart(c.id);
      await ctx.mustReachStatus(c.id, ['stopped']);
      const r = await ctx.runtime.delete(c.id);
      expect(r.ok, `delete failed because poststop failed (exit ${r.code}): ${clip(r.stderr)}`);
      expect(!(await ctx.runtime.state(c.id)).call.ok, 'the container still exists after delete');
    },
  },
  {
    id: 'hooks.args-env',
    title: 'a hook runs with its configured args and env',
    section: specUrl('config', 'posix-platform-hooks'),
    level: 'MUST',
    async run(ctx) {
      const logDir = path.join(ctx.dir, 'hooklog');
      fs.mkdirSync(logDir, { recursive: true });
      const config = ctx.config(['true']);
      config.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `echo "$0|$STRATA_HOOK" > ${logDir}/out`, 'first-arg'], env: ['STRATA_HOOK=env-value'] }] };
      await ctx.mustCreate(config);
      expectEqual(safeRead(path.join(logDir, 'out')).trim(), 'first-arg|env-value', 'what the hook saw ($0|$STRATA_HOOK)');
    },
  },
]);
