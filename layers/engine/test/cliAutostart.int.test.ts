// strata's daemon auto-start, with private paths: strata-manager and strata-engine started detached
// (own session, logs in files, pidfiles), the socket awaited, the one stderr line; `daemon status`
// and `daemon stop` see and stop exactly those two; nothing is left behind. (The CLI uses the
// same code with the real default paths only when no -H/DOCKER_HOST is given.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mountsBelow } from '@strata/manager/testing';
import { unisolateBridge } from '../src/network/isolation';
import { type DaemonPaths, alive, autostart, daemonStatus, daemonStop, findBinary, socketAnswers } from '../src/cli/strata/autostart';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const STRATA = path.join(repo, 'layers/engine/dist/strata.mjs');
const ready = process.getuid?.() === 0 && fs.existsSync(path.join(repo, 'layers/engine/dist/strata-engine.mjs')) && fs.existsSync(path.join(repo, 'layers/manager/dist/strata-manager.mjs')) && fs.existsSync(STRATA);
if (!ready) console.warn('cliAutostart: skipped, needs root and a build (node scripts/build.mjs)');

describe.skipIf(!ready)('strata daemon auto-start (private paths)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-autostart-${process.pid}-`));
  const bridge = `sa${process.pid % 100000}`;
  fs.writeFileSync(path.join(dir, 'manager.toml'), ['version = 2', `root = "${dir}/mroot"`, `state = "${dir}/mstate"`].join('\n'));
  const p: DaemonPaths = {
    engineSocket: path.join(dir, 'engine.sock'),
    managerSocket: path.join(dir, 'manager.sock'),
    enginePidfile: path.join(dir, 'run', 'engine.pid'),
    managerPidfile: path.join(dir, 'run', 'manager.pid'),
    logDir: path.join(dir, 'log'),
    managerArgs: ['--config', path.join(dir, 'manager.toml')],
    engineArgs: ['--data-root', path.join(dir, 'edata'), '--exec-root', path.join(dir, 'eexec'), '--bridge', bridge],
  };
  const pidOf = (f: string) => Number(fs.readFileSync(f, 'utf8').trim());

  afterAll(async () => {
    await daemonStop(() => {}, p);
    for (const f of [p.enginePidfile, p.managerPidfile]) {
      if (fs.existsSync(f) && alive(pidOf(f))) process.kill(pidOf(f), 'SIGKILL');
    }
    for (const m of mountsBelow(dir).reverse()) spawnSync('umount', ['-l', m]);
    // The default bridge and its filter rules outlive the engine (as docker0's do dockerd).
    spawnSync('ip', ['link', 'del', bridge]);
    unisolateBridge(bridge);
    expect(spawnSync('iptables', ['-S'], { encoding: 'utf8' }).stdout).not.toContain(` ${bridge} `);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('finds the daemons next to the bundle or in the repository', () => {
    expect(findBinary('strata-engine')).toBe(path.join(repo, 'layers/engine/dist/strata-engine.mjs'));
    expect(findBinary('strata-manager')).toBe(path.join(repo, 'layers/manager/dist/strata-manager.mjs'));
  });

  it('does nothing with STRATA_NO_AUTOSTART=1', async () => {
    expect(await autostart(process.stderr, p, { STRATA_NO_AUTOSTART: '1' })).toBe(false);
    expect(await socketAnswers(p.engineSocket)).toBe(false);
  });

  it('starts manager and engine detached, waits for the socket, says so once; status and stop', async () => {
    let said = '';
    const sink = { write: (s: string) => ((said += s), true) } as unknown as NodeJS.WritableStream;
    expect(await autostart(sink, p, {})).toBe(true);
    expect(said).toBe(`strata: started strata-engine (log: ${path.join(p.logDir, 'engine.log')})\n`);
    const enginePid = pidOf(p.enginePidfile);
    const managerPid = pidOf(p.managerPidfile);
    // experimental, so that `strata checkpoint` works out of the box
    expect(fs.readFileSync(`/proc/${enginePid}/cmdline`, 'utf8').split('\0')).toContain('--experimental');
    // detached: each leads its own session, not ours
    for (const pid of [enginePid, managerPid]) {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      expect(Number(stat[3])).toBe(pid); // session id
    }
    // the engine answers the API: the CLI works against it
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${p.engineSocket}`, STRATA_NO_AUTOSTART: '1' };
    delete env.NODE_EXTRA_CA_CERTS;
    const v = spawnSync(process.execPath, [STRATA, 'version', '--format', '{{.Server.APIVersion}}'], { encoding: 'utf8', env });
    expect(v.stdout).toBe('1.50\n');
    // a second call finds the engine answering and starts nothing
    expect(await autostart(sink, p, {})).toBe(false);
    expect(pidOf(p.enginePidfile)).toBe(enginePid);

    let status = '';
    await daemonStatus((s) => (status += s), p);
    expect(status).toContain(`strata-engine: running (pid ${enginePid}), socket ${p.engineSocket} answers`);
    expect(status).toContain(`strata-manager: running (pid ${managerPid}), socket ${p.managerSocket} answers`);

    let stopped = '';
    await daemonStop((s) => (stopped += s), p);
    expect(stopped).toBe(`strata-engine: stopped (pid ${enginePid})\nstrata-manager: stopped (pid ${managerPid})\n`);
    expect(alive(enginePid) || alive(managerPid)).toBe(false);
    expect(fs.existsSync(p.enginePidfile) || fs.existsSync(p.managerPidfile)).toBe(false);
    status = '';
    await daemonStatus((s) => (status += s), p);
    expect(status).toContain('strata-engine: stopped');
    expect(fs.readFileSync(path.join(p.logDir, 'engine.log'), 'utf8').length).toBeGreaterThan(0);
  }, 90_000);

  it('a daemon that dies at start-up is reported with its log', async () => {
    const bad = { ...p, engineArgs: ['--no-such-flag'] };
    await expect(autostart({ write: () => true } as unknown as NodeJS.WritableStream, bad, {})).rejects.toThrow(/strata-engine exited during start-up \(see .*engine\.log\)/);
    await daemonStop(() => {}, p);
  }, 60_000);
});
