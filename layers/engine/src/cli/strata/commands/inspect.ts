// docker inspect: the raw JSON of containers, images, volumes or networks, as an indented array,
// or one --format template line per object. Without --type each name is tried as a container,
// an image, a network and a volume, in that order (the first that answers wins).
import type { Command, Ctx } from '../command';
import { CliError, isNotFound } from '../errors';
import { str, bool } from '../flags';
import { TemplateError, compileTemplate, unescapeFormat } from '../format/template';
import { enc } from './each';

export type ObjectType = 'container' | 'image' | 'volume' | 'network';

const PATHS: Record<ObjectType, (n: string, size: boolean) => [string, Record<string, string | number | undefined>]> = {
  container: (n, size) => [`/containers/${enc(n)}/json`, { size: size ? 1 : undefined }],
  image: (n) => [`/images/${n.split('/').map(enc).join('/')}/json`, {}],
  network: (n) => [`/networks/${enc(n)}`, {}],
  volume: (n) => [`/volumes/${enc(n)}`, {}],
};

const NOT_FOUND: Record<ObjectType, string> = { container: 'No such container', image: 'No such image', volume: 'No such volume', network: 'No such network' };

/** docker's json.MarshalIndent with 4 spaces and Go's HTML escaping. */
export const indentJson = (v: unknown): string => JSON.stringify(v, null, 4).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

export async function inspectObjects(ctx: Ctx, names: string[], o: { types: ObjectType[]; format?: string; size?: boolean; notFound: (n: string) => string }): Promise<number> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const n of names) {
    let obj: unknown;
    for (const t of o.types) {
      try {
        const [p, query] = PATHS[t](n, !!o.size);
        obj = await ctx.client.json('GET', p, { query });
        break;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (obj === undefined) errors.push(o.notFound(n));
    else found.push(obj);
  }
  if (o.format) {
    let t;
    try {
      t = compileTemplate(unescapeFormat(o.format));
    } catch (e) {
      if (e instanceof TemplateError) throw new CliError(`${e.message}`);
      throw e;
    }
    for (const obj of found) {
      try {
        ctx.out(`${t.execute(obj)}\n`);
      } catch (e) {
        if (e instanceof TemplateError) throw new CliError(`${e.message}`);
        throw e;
      }
    }
  } else ctx.out(`${indentJson(found)}\n`);
  for (const e of errors) ctx.err(`${e}\n`);
  return errors.length ? 1 : 0;
}

const FLAGS = [
  { name: 'format', short: 'f', kind: 'string' as const, desc: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template", valueName: 'string' },
  { name: 'size', short: 's', kind: 'bool' as const, desc: 'Display total file sizes if the type is container' },
];

export const inspect: Command = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  desc: 'Return low-level information on Docker objects',
  flags: [...FLAGS, { name: 'type', kind: 'string', desc: 'Only inspect objects of the given type', valueName: 'string' }],
  args: { min: 1 },
  run(ctx, f, args) {
    const type = str(f, 'type');
    if (type && !['container', 'image', 'volume', 'network'].includes(type)) throw new CliError(`"${type}" is not a valid value for --type`);
    const fmt = str(f, 'format');
    return inspectObjects(ctx, args, {
      types: type ? [type as ObjectType] : ['container', 'image', 'network', 'volume'],
      format: fmt === 'json' ? undefined : fmt,
      size: bool(f, 'size'),
      notFound: (n) => (type ? `Error: ${NOT_FOUND[type as ObjectType]}: ${n}` : `Error: No such object: ${n}`),
    });
  },
};

/** `container inspect`, `image inspect`, `volume inspect`, `network inspect`. */
export function typedInspect(type: ObjectType, name: string, usage: string, desc: string): Command {
  return {
    name,
    usage,
    desc,
    flags: type === 'container' ? FLAGS : [FLAGS[0]],
    args: { min: 1 },
    run(ctx, f, args) {
      const fmt = str(f, 'format');
      return inspectObjects(ctx, args, { types: [type], format: fmt === 'json' ? undefined : fmt, size: bool(f, 'size'), notFound: (n) => `Error: ${NOT_FOUND[type]}: ${n}` });
    },
  };
}
