// version, info, events, login, logout.
import { removeAuth, saveAuth } from '../auth';
import type { Command } from '../command';
import { FILTER_FLAG, filtersJson } from '../command';
import { MAX_API_VERSION, readAll } from '../client';
import { CliError } from '../errors';
import { bool, list, str } from '../flags';
import { TemplateError, compileTemplate, goJson, unescapeFormat } from '../format/template';
import { bytesSize, parseTimestamp } from '../format/units';
import { jsonMessages, quoteTimeNano } from '../stream';
import { CLI_VERSION } from '../version';

function templateOut(format: string, data: unknown): string {
  try {
    if (format === 'json') return `${goJson(data)}\n`;
    return `${compileTemplate(unescapeFormat(format)).execute(data)}\n`;
  } catch (e) {
    if (e instanceof TemplateError) throw new CliError(`template parsing error: ${e.message}`);
    throw e;
  }
}

export const version: Command = {
  name: 'version',
  usage: '[OPTIONS]',
  desc: 'Show the Docker version information',
  flags: [{ name: 'format', short: 'f', kind: 'string', desc: 'Format output using a custom template', valueName: 'string' }],
  args: { max: 0 },
  async run(ctx, f) {
    const client = {
      Platform: { Name: 'Strata' },
      Version: CLI_VERSION,
      ApiVersion: MAX_API_VERSION,
      DefaultAPIVersion: MAX_API_VERSION,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: process.platform,
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      BuildTime: '',
      Context: 'default',
    };
    let server: any;
    let serverErr: unknown;
    try {
      server = await ctx.client.json('GET', '/version');
      client.ApiVersion = ctx.client.version;
    } catch (e) {
      serverErr = e;
    }
    const fmt = str(f, 'format');
    if (fmt) {
      // Templates name Go fields: APIVersion where the JSON says ApiVersion (types.Version).
      for (const o of [client, server].filter(Boolean)) Object.defineProperty(o, 'APIVersion', { value: o.ApiVersion, enumerable: false });
      ctx.out(templateOut(fmt, { Client: client, Server: server ?? null }));
      if (serverErr) throw serverErr;
      return;
    }
    const api = client.ApiVersion === MAX_API_VERSION ? client.ApiVersion : `${client.ApiVersion} (downgraded from ${MAX_API_VERSION})`;
    ctx.out(
      `Client:\n` +
        [
          [' Version:', client.Version],
          [' API version:', api],
          [' Node version:', process.version],
          [' OS/Arch:', `${client.Os}/${client.Arch}`],
          [' Context:', client.Context],
        ]
          .map(([k, v]) => `${k.padEnd(20)}${v}\n`)
          .join(''),
    );
    if (serverErr) throw serverErr;
    ctx.out(`\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}\n`);
    const comps: any[] = server.Components?.length ? server.Components : [{ Name: 'Engine', Version: server.Version, Details: { ApiVersion: server.ApiVersion, MinAPIVersion: server.MinAPIVersion, GitCommit: server.GitCommit, GoVersion: server.GoVersion, Os: server.Os, Arch: server.Arch, KernelVersion: server.KernelVersion } }];
    for (const c of comps) {
      ctx.out(` ${c.Name}:\n`);
      const rows: [string, unknown][] = [['Version', c.Version]];
      const d = c.Details ?? {};
      if (c.Name === 'Engine') {
        rows.push(['API version', `${d.ApiVersion ?? server.ApiVersion} (minimum version ${d.MinAPIVersion ?? server.MinAPIVersion})`]);
        if (d.GoVersion) rows.push(['Go version', d.GoVersion]);
        if (d.GitCommit) rows.push(['Git commit', d.GitCommit]);
        if (server.BuildTime) rows.push(['Built', server.BuildTime]);
        rows.push(['OS/Arch', `${d.Os ?? server.Os}/${d.Arch ?? server.Arch}`]);
        rows.push(['Experimental', String(d.Experimental ?? server.Experimental ?? false)]);
      } else for (const [k, v] of Object.entries(d)) rows.push([k === 'GitCommit' ? 'GitCommit' : k, v]);
      ctx.out(rows.map(([k, v]) => `  ${`${k}:`.padEnd(18)}${v}\n`).join(''));
    }
  },
};

export const info: Command = {
  name: 'info',
  aliases: ['system info'],
  usage: '[OPTIONS]',
  desc: 'Display system-wide information',
  flags: [{ name: 'format', short: 'f', kind: 'string', desc: 'Format output using a custom template', valueName: 'string' }],
  args: { max: 0 },
  async run(ctx, f) {
    const i = await ctx.client.json('GET', '/info');
    const fmt = str(f, 'format');
    if (fmt) {
      ctx.out(templateOut(fmt, i));
      return;
    }
    const lines: [string, unknown][] = [
      ['Containers', i.Containers],
      [' Running', i.ContainersRunning],
      [' Paused', i.ContainersPaused],
      [' Stopped', i.ContainersStopped],
      ['Images', i.Images],
      ['Server Version', i.ServerVersion],
      ['Storage Driver', i.Driver],
      ['Logging Driver', i.LoggingDriver],
      ['Cgroup Driver', i.CgroupDriver],
      ['Cgroup Version', i.CgroupVersion],
      ['Default Runtime', i.DefaultRuntime],
      ['Runtimes', Object.keys(i.Runtimes ?? {}).join(' ')],
      ['Kernel Version', i.KernelVersion],
      ['Operating System', i.OperatingSystem],
      ['OSType', i.OSType],
      ['Architecture', i.Architecture],
      ['CPUs', i.NCPU],
      ['Total Memory', bytesSize(i.MemTotal ?? 0)],
      ['Name', i.Name],
      ['ID', i.ID],
      ['Docker Root Dir', i.DockerRootDir],
      ['Debug Mode', i.Debug],
      ['Experimental', i.ExperimentalBuild],
      ['Live Restore Enabled', i.LiveRestoreEnabled],
    ];
    ctx.out(`Client:\n Version:    ${CLI_VERSION}\n Context:    default\n Debug Mode: false\n\nServer:\n`);
    ctx.out(lines.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => ` ${k}: ${v}\n`).join(''));
    for (const w of i.Warnings ?? []) ctx.err(`${w}\n`);
  },
};

/** "2026-11-23T13:50:18.123456789Z": RFC 3339 with 9 fraction digits, from timeNano. */
export function eventTime(ev: { time?: number; timeNano?: number | string }): string {
  const nano = ev.timeNano !== undefined ? BigInt(ev.timeNano) : BigInt(ev.time ?? 0) * 1_000_000_000n;
  const ms = Number(nano / 1_000_000n);
  const frac = String(nano % 1_000_000_000n).padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

export function eventLine(ev: any): string {
  const attrs = ev.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  const a = keys.length ? ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})` : '';
  return `${eventTime(ev)} ${ev.Type} ${ev.Action} ${ev.Actor?.ID ?? ev.id ?? ''}${a}`;
}

export const events: Command = {
  name: 'events',
  aliases: ['system events'],
  usage: '[OPTIONS]',
  desc: 'Get real time events from the server',
  flags: [
    FILTER_FLAG,
    { name: 'format', kind: 'string', desc: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template", valueName: 'string' },
    { name: 'since', kind: 'string', desc: 'Show all events created since timestamp', valueName: 'string' },
    { name: 'until', kind: 'string', desc: 'Stream events until this timestamp', valueName: 'string' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    const time = (k: string) => {
      const v = str(f, k);
      if (v === undefined) return undefined;
      try {
        return String(parseTimestamp(v));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    };
    const res = await ctx.client.request('GET', '/events', { query: { since: time('since'), until: time('until'), filters: filtersJson(list(f, 'filter')) } });
    const fmt = str(f, 'format');
    const tmpl = fmt && fmt !== 'json' ? compileTemplate(unescapeFormat(fmt)) : undefined;
    const stop = () => res.destroy();
    process.once('SIGINT', stop);
    try {
      for await (const ev of jsonMessages(res, quoteTimeNano)) {
        if (fmt === 'json' || fmt?.trim() === '{{json .}}') ctx.out(`${goJson(ev)}\n`);
        else if (tmpl) ctx.out(`${tmpl.execute(ev)}\n`);
        else ctx.out(`${eventLine(ev)}\n`);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE' && !res.destroyed) throw e;
    } finally {
      process.off('SIGINT', stop);
    }
  },
};

export const login: Command = {
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  desc: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
  flags: [
    { name: 'password', short: 'p', kind: 'string', desc: 'Password or Personal Access Token (PAT)', valueName: 'string' },
    { name: 'password-stdin', kind: 'bool', desc: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { name: 'username', short: 'u', kind: 'string', desc: 'Username', valueName: 'string' },
  ],
  args: { max: 1 },
  async run(ctx, f, [server]) {
    const username = str(f, 'username');
    let password = str(f, 'password');
    if (bool(f, 'password-stdin')) password = (await readAll(ctx.stdin)).toString().replace(/\r?\n$/, '');
    if (!username || password === undefined) throw new CliError('Error: strata login needs --username and --password or --password-stdin (no interactive prompt)');
    const address = server ?? 'https://index.docker.io/v1/';
    // The daemon checks the credentials against the registry (POST /auth) before they are stored.
    const r = await ctx.client.json('POST', '/auth', { body: { username, password, serveraddress: address } });
    const file = saveAuth(server ?? 'https://index.docker.io/v1/', username, password);
    ctx.err(`WARNING! Your credentials are stored unencrypted in '${file}'.\n`);
    ctx.out(`${r?.Status ?? 'Login Succeeded'}\n`);
  },
};

export const logout: Command = {
  name: 'logout',
  usage: '[SERVER]',
  desc: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
  flags: [],
  args: { max: 1 },
  local: true,
  async run(ctx, _f, [server]) {
    const key = server ?? 'https://index.docker.io/v1/';
    if (removeAuth(key)) ctx.out(`Removing login credentials for ${key}\n`);
    else ctx.err(`Not logged in to ${key}\n`);
  },
};

