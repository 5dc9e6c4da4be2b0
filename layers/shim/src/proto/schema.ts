// A small reader for .proto text (proto3 subset: package, message, enum, map, repeated, service,
// rpc). Strata keeps its wire contracts as .proto text written for this project (in defs/) and
// builds the codec's descriptors from that text, so the text a student reads is the contract
// the code speaks: they cannot drift apart.
import { message, type FieldSpec, type MessageType, type Scalar } from './codec';

const SCALARS: Record<string, Scalar> = {
  string: 'string',
  bytes: 'bytes',
  bool: 'bool',
  int32: 'int32',
  int64: 'int64',
  uint32: 'uint32',
  uint64: 'uint64',
  sint64: 'sint64',
  fixed64: 'fixed64',
  double: 'double',
  float: 'float',
};

export interface MethodSpec {
  name: string;
  input: MessageType<any>;
  output: MessageType<any>;
  /** `rpc M(stream In)`: the client sends a stream of messages (gRPC only; ttrpc has none here). */
  clientStream?: boolean;
  /** `returns (stream Out)`: the server answers with a stream of messages. */
  serverStream?: boolean;
}

export interface ServiceSpec {
  fullName: string;
  methods: Record<string, MethodSpec>;
}

interface RawField {
  no: number;
  name: string;
  type: string;
  repeated: boolean;
  map?: [string, string];
}

export class ProtoSchema {
  private readonly raw = new Map<string, { pkg: string; fields: RawField[] }>();
  private readonly enums = new Set<string>();
  private readonly built = new Map<string, MessageType<any>>();
  private readonly rawServices: { fullName: string; pkg: string; methods: { name: string; input: string; output: string; clientStream: boolean; serverStream: boolean }[] }[] = [];

  /** Add one file's text. Files may refer to each other's messages by full name. */
  add(text: string): this {
    const src = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    const pkg = /\bpackage\s+([\w.]+)\s*;/.exec(src)?.[1] ?? '';
    const q = (n: string) => (pkg ? `${pkg}.${n}` : n);
    for (const m of src.matchAll(/\benum\s+(\w+)\s*\{[^}]*\}/g)) this.enums.add(q(m[1]));
    for (const m of src.matchAll(/\bmessage\s+(\w+)\s*\{([^}]*)\}/g)) {
      const fields: RawField[] = [];
      for (const line of m[2].split(';').map((l) => l.trim()).filter(Boolean)) {
        const mp = /^map\s*<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)/.exec(line);
        if (mp) {
          fields.push({ no: Number(mp[4]), name: mp[3], type: 'map', repeated: false, map: [mp[1], mp[2]] });
          continue;
        }
        const f = /^(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)/.exec(line);
        if (!f) throw new Error(`${q(m[1])}: cannot read field "${line}"`);
        fields.push({ no: Number(f[4]), name: f[3], type: f[2], repeated: !!f[1] });
      }
      this.raw.set(q(m[1]), { pkg, fields });
    }
    for (const s of src.matchAll(/\bservice\s+(\w+)\s*\{([^}]*)\}/g)) {
      const methods: { name: string; input: string; output: string; clientStream: boolean; serverStream: boolean }[] = [];
      const rpc = /rpc\s+(\w+)\s*\(\s*(stream\s+)?([\w.]+)\s*\)\s*returns\s*\(\s*(stream\s+)?([\w.]+)\s*\)/g;
      for (const r of s[2].matchAll(rpc)) methods.push({ name: r[1], input: r[3], output: r[5], clientStream: !!r[2], serverStream: !!r[4] });
      this.rawServices.push({ fullName: q(s[1]), pkg, methods });
    }
    return this;
  }

  private resolveName(type: string, pkg: string): string {
    if (this.raw.has(`${pkg}.${type}`) || this.enums.has(`${pkg}.${type}`)) return `${pkg}.${type}`;
    if (this.raw.has(type) || this.enums.has(type)) return type;
    throw new Error(`unknown type ${type} (in package ${pkg})`);
  }

  private fieldType(type: string, pkg: string): Scalar | MessageType<any> {
    if (SCALARS[type]) return SCALARS[type];
    const full = this.resolveName(type, pkg);
    if (this.enums.has(full)) return 'enum';
    return this.message(full);
  }

  /** The descriptor of a message by full name, e.g. "containerd.task.v2.CreateTaskRequest". */
  message<T = any>(fullName: string): MessageType<T> {
    let m = this.built.get(fullName);
    if (m) return m;
    const raw = this.raw.get(fullName);
    if (!raw) throw new Error(`unknown message ${fullName}`);
    m = message<T>(fullName, () =>
      raw.fields.map((f): FieldSpec => {
        const name = camel(f.name);
        if (f.map) return { no: f.no, name, type: 'bytes', map: { key: SCALARS[f.map[0]], value: this.fieldType(f.map[1], raw.pkg) } };
        return { no: f.no, name, type: this.fieldType(f.type, raw.pkg), repeated: f.repeated || undefined };
      }),
    );
    this.built.set(fullName, m);
    return m;
  }

  service(fullName: string): ServiceSpec {
    const s = this.rawServices.find((x) => x.fullName === fullName);
    if (!s) throw new Error(`unknown service ${fullName}`);
    const methods: Record<string, MethodSpec> = {};
    for (const m of s.methods) {
      methods[m.name] = {
        name: m.name,
        input: this.message(this.resolveName(m.input, s.pkg)),
        output: this.message(this.resolveName(m.output, s.pkg)),
        ...(m.clientStream ? { clientStream: true } : {}),
        ...(m.serverStream ? { serverStream: true } : {}),
      };
    }
    return { fullName, methods };
  }

  /** Every message's full name (for tests and documentation). */
  messageNames(): string[] {
    return [...this.raw.keys()];
  }
}

/** proto field names are snake_case; the JavaScript properties are camelCase. */
export const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
