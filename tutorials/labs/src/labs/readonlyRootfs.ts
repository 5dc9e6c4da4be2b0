// Lab 5: an immutable container: root.readonly (config.md, root) with a tmpfs where the
// application must write (config.md, mounts).
import path from 'node:path';
import { check, readJson, type Lab } from '../lab';
import { cleanupRuntime, makeBundle, runWithArgs } from '../bundle';

export const readonlyRootfs: Lab = {
  id: 5,
  slug: 'readonly-rootfs',
  title: 'A read-only root file system with a writable /tmp',
  layer: 'strata-runtime (OCI runtime-spec: root, mounts)',
  lesson: 'tutorials/02-an-oci-bundle.md, tutorials/04-inside-the-runtime.md',
  minutes: 15,
  task: `Change bundle/config.json so that in the container:
  - nothing under / can be written (e.g. \`touch /etc/x\` fails), but
  - /tmp is writable (an in-memory file system, gone when the container ends).
Then run \`strata lab check 5\`.`,
  needs: ['strata-runtime'],
  start(ctx) {
    makeBundle(ctx.dir, ctx.tag, (c) => {
      c.process.args = ['sh', '-c', 'touch /etc/x && echo "wrote /etc/x"; touch /tmp/x && echo "wrote /tmp/x"'];
      c.root.readonly = false;
    });
  },
  check(ctx) {
    const { value: config, error } = readJson(path.join(ctx.dir, 'bundle/config.json'));
    if (!config) return [check('bundle/config.json is readable JSON', false, `${error}: fix it (or \`strata lab reset 5\`)`)];
    const tmp = (config.mounts ?? []).find((m: { destination: string }) => m.destination === '/tmp');
    const results = [
      check('the root file system is read-only', config.root?.readonly === true, 'The "root" object of config.json has a flag for this.'),
      check('a mount at /tmp', !!tmp, 'Add an entry to "mounts" whose destination is /tmp.'),
    ];
    if (tmp) results.push(check('/tmp is a tmpfs', tmp.type === 'tmpfs', `Your /tmp mount has type ${JSON.stringify(tmp.type)}; an in-memory file system is "tmpfs" (source "tmpfs").`));
    if (results.every((r) => r.ok)) {
      const r = runWithArgs(ctx.dir, ctx.tag, ['sh', '-c', 'touch /etc/x 2>/dev/null && echo etc-writable; touch /tmp/x && echo tmp-writable']);
      results.push(check('inside, /etc is not writable', r.status !== null && !r.stdout.includes('etc-writable'), 'The check could write /etc/x.'));
      results.push(check('inside, /tmp is writable', r.stdout.includes('tmp-writable'), `The check could not write /tmp/x: ${(r.error ?? r.stderr).trim().split('\n').pop() ?? ''} (are the tmpfs options right? "rw" is needed)`));
    }
    return results;
  },
  hints: ['Two changes: one flag in "root", one new entry in "mounts".', '"root": {"path": "rootfs", "readonly": true}', 'Add {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]} to "mounts".'],
  solution: `jq '.root.readonly = true | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}]' bundle/config.json > bundle/config.new && mv bundle/config.new bundle/config.json`,
  reset(ctx) {
    cleanupRuntime(ctx.tag, ['lab5']);
  },
};
