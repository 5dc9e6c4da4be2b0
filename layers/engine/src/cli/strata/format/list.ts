// Printing a list of items with a docker --format value: the default or "table ..." template
// with a header row and aligned columns, "json" as JSON lines, or a plain template per item.
import type { Ctx } from '../command';
import { CliError } from '../errors';
import { tabwrite } from './table';
import { TemplateError, compileTemplate, goJson, parseFormat, unescapeFormat } from './template';

/** The header row: each {{.Field}} of the template renders as its column title. */
function headerContext(headers: Record<string, string>): unknown {
  return new Proxy(
    {},
    {
      get: (_t, key) => {
        if (typeof key !== 'string') return undefined;
        const h = headers[key] ?? key.toUpperCase();
        // Methods with arguments ({{.Label "x"}}) and fields share the header lookup.
        return Object.assign(() => h, { toString: () => h });
      },
    },
  );
}

export function printList(ctx: Ctx, o: { format?: string; defaultTable: string; headers: Record<string, string>; items: object[]; quiet?: (item: any) => string }): void {
  if (o.quiet && !o.format) {
    for (const it of o.items) ctx.out(`${o.quiet(it)}\n`);
    return;
  }
  const spec = parseFormat(o.format, o.defaultTable);
  if (spec.kind === 'json') {
    for (const it of o.items) ctx.out(`${goJson(plain(it))}\n`);
    return;
  }
  let t;
  try {
    t = compileTemplate(unescapeFormat(spec.template));
  } catch (e) {
    if (e instanceof TemplateError) throw new CliError(`${e.message}`, 1);
    throw e;
  }
  const render = (it: unknown) => {
    try {
      return t.execute(it);
    } catch (e) {
      if (e instanceof TemplateError) throw new CliError(e.message, 1);
      throw e;
    }
  };
  if (spec.kind === 'template') {
    for (const it of o.items) ctx.out(`${render(it)}\n`);
    return;
  }
  const lines = [String(render(headerContext(o.headers))).replace(/<no value>/g, ''), ...o.items.map(render)];
  ctx.out(tabwrite(`${lines.join('\n')}\n`));
}

/** {{json .}} of a context object: its data fields only (functions are methods like Label). */
function plain(it: object): object {
  return Object.fromEntries(Object.entries(it).filter(([, v]) => typeof v !== 'function'));
}
