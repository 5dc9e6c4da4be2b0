// Every command, in the order `strata --help` lists them.
import { daemonCommand } from '../autostart';
import type { Command } from '../command';
import { build } from './build';
import { checkpointCreate, checkpointLs, checkpointRm } from './checkpoint';
import { create, run, start } from './run';
import { kill, logs, pause, port, ps, rename, restart, rm, stop, top, unpause, wait } from './containers';
import { cp } from './cp';
import { exec } from './exec';
import { images, load, pull, push, rmi, save, tag } from './images';
import { inspect, typedInspect } from './inspect';
import { networkConnect, networkCreate, networkDisconnect, networkInspect, networkLs, networkPrune, networkRm } from './networks';
import { stats } from './stats';
import { events, info, login, logout, version } from './system';
import { volumeCreate, volumeInspect, volumeLs, volumePrune, volumeRm } from './volumes';

export const COMMON = [run, exec, ps, build, pull, push, images, login, logout, version, info];

export const COMMANDS: Command[] = [
  ...COMMON,
  create, start, stop, restart, kill, rm, pause, unpause, rename, wait, top, logs, port, stats, cp, inspect,
  rmi, tag, save, load, events,
  volumeLs, volumeCreate, volumeRm, volumeInspect, volumePrune,
  networkLs, networkCreate, networkRm, networkInspect, networkConnect, networkDisconnect, networkPrune,
  checkpointCreate, checkpointLs, checkpointRm,
  typedInspect('container', 'container inspect', '[OPTIONS] CONTAINER [CONTAINER...]', 'Display detailed information on one or more containers'),
  typedInspect('image', 'image inspect', '[OPTIONS] IMAGE [IMAGE...]', 'Display detailed information on one or more images'),
  daemonCommand,
];

/** Find the command named by the first one or two words (management commands: "volume ls"). */
export function findCommand(words: string[]): { cmd: Command; used: number } | undefined {
  const two = words.slice(0, 2).join(' ');
  for (const c of COMMANDS) if (c.name === two || c.aliases?.includes(two)) return { cmd: c, used: 2 };
  for (const c of COMMANDS) if (c.name === words[0] || c.aliases?.includes(words[0])) return { cmd: c, used: 1 };
  return undefined;
}

export const MANAGEMENT = ['checkpoint', 'container', 'image', 'network', 'volume', 'system', 'builder'];
