// Messages <-> JSON the way crictl reads and prints them (protojson's conventions): field names
// in lowerCamelCase on output and either lowerCamelCase or the proto's snake_case on input,
// enums by name (numbers accepted on input), 64-bit integers as strings on output, bytes as
// base64, map fields (labels, annotations, sysctls) kept verbatim.
//
// The codec's descriptors say a field is "an enum" but not which one, so the enum names are read
// here from the same .proto text the schema was built from.
import type { MessageType } from '@strata/shim/proto';
import { CRI_PROTO_FILES, criMessage } from './protos';

/** snake_case -> lowerCamelCase, as the schema names properties. */
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const enumValues = new Map<string, Map<string, number>>();
/** "Message.field" -> enum name, for the enum-typed fields. */
const enumOfField = new Map<string, string>();

(function readEnums() {
  const text = Object.values(CRI_PROTO_FILES)
    .join('\n')
    .replace(/\/\/.*$/gm, '');
  for (const m of text.matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}/g)) {
    const values = new Map<string, number>();
    for (const v of m[2].matchAll(/(\w+)\s*=\s*(\d+)/g)) values.set(v[1], Number(v[2]));
    enumValues.set(m[1], values);
  }
  for (const m of text.matchAll(/\bmessage\s+(\w+)\s*\{([^}]*)\}/g)) {
    for (const f of m[2].matchAll(/^\s*(?:repeated\s+)?(\w+)\s+(\w+)\s*=\s*\d+/gm)) {
      if (enumValues.has(f[1])) enumOfField.set(`${m[1]}.${camel(f[2])}`, f[1]);
    }
  }
})();

const shortName = (t: MessageType<any>) => t.fullName.slice(t.fullName.lastIndexOf('.') + 1);

function enumName(msg: string, field: string, n: number): string | number {
  const e = enumOfField.get(`${msg}.${field}`);
  for (const [name, v] of enumValues.get(e ?? '') ?? []) if (v === n) return name;
  return n;
}

/** A decoded message as crictl prints it: protojson-style names and values, defaults included. */
export function toJson(type: MessageType<any>, value: any): any {
  if (value === undefined || value === null) return undefined;
  const out: Record<string, unknown> = {};
  const msg = shortName(type);
  for (const f of type.fields) {
    const v = value[f.name];
    if (v === undefined || v === null) continue;
    const one = (x: any): any => {
      if (typeof f.type === 'object') return toJson(f.type, x);
      switch (f.type) {
        case 'enum':
          return enumName(msg, f.name, x);
        case 'int64':
        case 'uint64':
        case 'sint64':
        case 'fixed64':
          return String(x);
        case 'bytes':
          return Buffer.from(x).toString('base64');
        default:
          return x;
      }
    };
    // crictl marshals with EmitDefaults: zero values, empty lists and maps are printed too
    // (`jq .status.exitCode` is 0, not null, for a container that exited 0).
    if (f.map) out[f.name] = typeof f.map.value === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(f.map!.value as MessageType<any>, x)])) : v;
    else if (f.repeated) out[f.name] = (v as unknown[]).map(one);
    else out[f.name] = one(v);
  }
  return out;
}

/** JSON (a crictl config file) -> a message object. `where` names the file/field in errors. */
export function fromJson(type: MessageType<any>, json: unknown, where: string): any {
  if (json === null || json === undefined) return undefined;
  if (typeof json !== 'object' || Array.isArray(json)) throw new Error(`${where}: must be an object`);
  const byName = new Map(type.fields.map((f) => [f.name, f]));
  const msg = shortName(type);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    const f = byName.get(camel(key)) ?? byName.get(key);
    const at = `${where}.${key}`;
    if (!f) throw new Error(`${at}: unknown field (of ${msg})`);
    if (v === null) continue;
    const one = (x: unknown, w: string): unknown => {
      if (typeof f.type === 'object') return fromJson(f.type, x, w);
      switch (f.type) {
        case 'enum': {
          if (typeof x === 'number') return x;
          const e = enumValues.get(enumOfField.get(`${msg}.${f.name}`) ?? '');
          const n = typeof x === 'string' ? e?.get(x) : undefined;
          if (n === undefined) throw new Error(`${w}: ${JSON.stringify(x)} is not one of ${[...(e?.keys() ?? [])].join(', ')}`);
          return n;
        }
        case 'string':
          if (typeof x !== 'string') throw new Error(`${w}: must be a string`);
          return x;
        case 'bool':
          if (typeof x !== 'boolean') throw new Error(`${w}: must be true or false`);
          return x;
        case 'bytes':
          if (typeof x !== 'string') throw new Error(`${w}: must be base64 text`);
          return Buffer.from(x, 'base64');
        default: {
          const n = typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x) ? Number(x) : x;
          if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${w}: must be a number`);
          return n;
        }
      }
    };
    if (f.map) {
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${at}: must be an object of key: value`);
      out[f.name] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, typeof f.map!.value === 'object' ? fromJson(f.map!.value, x, `${at}.${k}`) : String(x)]));
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw new Error(`${at}: must be a list`);
      out[f.name] = v.map((x, i) => one(x, `${at}[${i}]`));
    } else out[f.name] = one(v, at);
  }
  return out;
}

export const jsonOf = (messageName: string, value: unknown) => toJson(criMessage(messageName), value);
export const parseJsonAs = (messageName: string, json: unknown, where: string) => fromJson(criMessage(messageName), json, where);
