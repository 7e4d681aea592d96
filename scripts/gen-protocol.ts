// Generates src/protocol/generated/messages.ts from Kafka's message definitions and src/protocol/generated/internal.ts
// from its internal record definitions (__consumer_offsets, __transaction_state, metadata records...).
// Two generations of definitions are read: Kafka 4.4's (`<root>/kafka-4.4/message`, `<root>/kafka-4.4/internal/**`)
// and the older ones (`<root>/message`, `<root>/internal/**`), which still describe the versions Kafka 4.0 removed
// (KIP-896). Each (message, version) is generated from the newest definition that has it: a message's schema is the
// 4.4 definition; versions only the older definition has are added either by widening the valid range, when the 4.4
// field list read at those versions is exactly the older one (checked field by field), or as an `older` part that
// carries the older definition's fields. A request/response pair renamed since (same api key) keeps its old names as
// aliases. Only structure is emitted: names, types, versions, tags, defaults.
// Usage: node scripts/gen-protocol.ts [definitionsRoot]   (default ../shared/kafka-protocol)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

interface JsonField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: JsonField[];
}
interface JsonMessage {
  apiKey?: number;
  type: string;
  name: string;
  listeners?: string[];
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: Array<{ name: string; versions: string; fields: JsonField[] }>;
}

const root = resolve(import.meta.dirname, '..');
const defsRoot = process.argv[2] ?? resolve(root, '../shared/kafka-protocol');
const NEWEST = 'kafka-4.4';

const MAX = 0x7fff;
function range(s: string | undefined): [number, number] | null {
  if (s === undefined || s === 'none') return null;
  if (s.endsWith('+')) return [Number(s.slice(0, -1)), MAX];
  const [a, b] = s.split('-');
  return [Number(a), Number(b ?? a)];
}

function camel(name: string): string {
  // Lower-case the leading run of capitals except the last one before a lower-case letter (KRaftVersion -> kRaftVersion).
  const m = /^[A-Z]+/.exec(name);
  if (!m) return name;
  const run = m[0];
  if (run.length === 1 || run.length === name.length)
    return name.toLowerCase().slice(0, run.length) + name.slice(run.length);
  return run.slice(0, -1).toLowerCase() + name.slice(run.length - 1);
}

const PRIMS = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
]);

function parse(text: string): JsonMessage {
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, '').replace(/([^:"])\/\/[^\n"]*$/gm, '$1')) as JsonMessage;
}

interface Ctx {
  common: Map<string, JsonField[]>;
}

// Emitted field spec: [name, type, versions, nullable, tagged, tag, default, flexOverrideNone, children]
function emitField(f: JsonField, ctx: Ctx): string {
  const isArray = f.type.startsWith('[]');
  const base = isArray ? f.type.slice(2) : f.type;
  let children: JsonField[] | undefined = f.fields;
  if (!PRIMS.has(base) && !children) children = ctx.common.get(base);
  if (!PRIMS.has(base) && !children) throw new Error(`unknown type ${f.type} for ${f.name}`);
  const v = range(f.versions ?? f.taggedVersions);
  if (!v) throw new Error(`field ${f.name} has no versions`);
  const nv = range(f.nullableVersions);
  const tv = range(f.taggedVersions);
  const parts: string[] = [
    `n: '${camel(f.name)}'`,
    `t: '${PRIMS.has(base) ? base : 'struct'}'`,
    `v: [${v[0]}, ${v[1]}]`,
  ];
  if (isArray) parts.push('a: 1');
  if (nv) parts.push(`nv: [${nv[0]}, ${nv[1]}]`);
  if (tv) parts.push(`tv: [${tv[0]}, ${tv[1]}]`, `tag: ${f.tag}`);
  if (f.flexibleVersions === 'none') parts.push('noflex: 1');
  if (f.default !== undefined) {
    const d = String(f.default);
    parts.push(`d: ${JSON.stringify(d)}`);
  }
  if (children) parts.push(`f: [${children.map((c) => emitField(c, ctx)).join(', ')}]`);
  return `{ ${parts.join(', ')} }`;
}

/** The same field in the older definition, when the message has one: its type is merged in. */
interface OlderField {
  f: JsonField;
  ctx: Ctx;
}

function tsType(f: JsonField, ctx: Ctx, indent: string, older?: OlderField): string {
  const isArray = f.type.startsWith('[]');
  const base = isArray ? f.type.slice(2) : f.type;
  let t: string;
  switch (base) {
    case 'bool':
      t = 'boolean';
      break;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      t = 'number';
      break;
    case 'int64':
      t = 'bigint';
      break;
    case 'string':
    case 'uuid':
      t = 'string';
      break;
    case 'bytes':
    case 'records':
      t = 'Buffer';
      break;
    default: {
      const children = f.fields ?? ctx.common.get(base)!;
      const olderChildren = older && (older.f.fields ?? older.ctx.common.get(older.f.type.replace(/^\[\]/, '')));
      t = structType(children, ctx, `${indent}  `, olderChildren && { fields: olderChildren, ctx: older.ctx });
    }
  }
  if (isArray) t = `Array<${t}>`;
  const isNullable = (x: JsonField): boolean => x.nullableVersions !== undefined && x.nullableVersions !== 'none';
  return isNullable(f) || (older !== undefined && isNullable(older.f)) ? `${t} | null` : t;
}

/**
 * A struct's TypeScript type. With an older definition, fields only it has (versions Kafka 4 removed: ListOffsets
 * v0's MaxNumOffsets...) are members too, after the newest definition's.
 */
function structType(fields: JsonField[], ctx: Ctx, indent: string, older?: { fields: JsonField[]; ctx: Ctx }): string {
  const olderByName = new Map((older?.fields ?? []).map((f) => [f.name, f]));
  const lines = fields.map((f) => {
    const o = olderByName.get(f.name);
    return `${indent}  ${camel(f.name)}: ${tsType(f, ctx, indent, o && older && { f: o, ctx: older.ctx })};`;
  });
  const names = new Set(fields.map((f) => f.name));
  for (const f of older?.fields ?? [])
    if (!names.has(f.name)) lines.push(`${indent}  ${camel(f.name)}: ${tsType(f, older!.ctx, indent)};`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

const inRange = (r: [number, number] | null, v: number): boolean => r !== null && v >= r[0] && v <= r[1];

/** What a message looks like at one version: every field present then, with its type, nullability, tag, default. */
function shape(fields: JsonField[], ctx: Ctx, v: number, prefix = ''): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (!inRange(range(f.versions ?? f.taggedVersions), v)) continue;
    const tagged = inRange(range(f.taggedVersions), v) ? `tag ${f.tag}` : '';
    out.push(
      `${prefix}${f.name} ${f.type} ${inRange(range(f.nullableVersions), v)} ${tagged} ${f.default ?? ''} ${f.flexibleVersions ?? ''}`,
    );
    const children = f.fields ?? ctx.common.get(f.type.replace(/^\[\]/, ''));
    if (children) out.push(...shape(children, ctx, v, `${prefix}${f.name}.`));
  }
  return out;
}

interface Source {
  msg: JsonMessage;
  ctx: Ctx;
}
const source = (msg: JsonMessage): Source => ({
  msg,
  ctx: { common: new Map((msg.commonStructs ?? []).map((s) => [s.name, s.fields])) },
});

/** One generated message: the newest definition, and the older one for the versions only it has. */
interface Pair {
  newest?: Source;
  older?: Source;
}

function emitFields(src: Source): string {
  return `[${src.msg.fields.map((f) => emitField(f, src.ctx)).join(', ')}]`;
}

function emitMessage(p: Pair, out: string[], aliases: string[]): string {
  const main = (p.newest ?? p.older)!;
  const msg = main.msg;
  const vv = range(msg.validVersions)!;
  const fv = range(msg.flexibleVersions);
  let valid: [number, number] = vv;
  let olderPart = '';
  if (p.newest && p.older) {
    const ov = range(p.older.msg.validVersions);
    const ofv = range(p.older.msg.flexibleVersions);
    const only: number[] = [];
    if (ov) for (let v = ov[0]; v <= ov[1]; v++) if (!inRange(vv, v)) only.push(v);
    if (only.length > 0) {
      const lo = only[0]!;
      const hi = only[only.length - 1]!;
      if (hi - lo + 1 !== only.length) throw new Error(`${msg.name}: older-only versions are not contiguous`);
      valid = [Math.min(vv[0], lo), Math.max(vv[1], hi)];
      const same = only.every(
        (v) =>
          inRange(fv, v) === inRange(ofv, v) &&
          shape(msg.fields, main.ctx, v).join('\n') === shape(p.older!.msg.fields, p.older!.ctx, v).join('\n'),
      );
      const gap = valid[1] - valid[0] + 1 !== vv[1] - vv[0] + 1 + only.length;
      if (!same || gap) {
        olderPart =
          `, older: { valid: [${lo}, ${hi}], flexible: ${ofv ? ofv[0] : MAX + 1}, fields: ${emitFields(p.older)} }, ` +
          `newest: [${vv[0]}, ${vv[1]}]`;
      }
    }
    if (p.older.msg.name !== msg.name) {
      aliases.push(
        `export type ${p.older.msg.name} = ${msg.name};`,
        `export const ${p.older.msg.name}Schema: MessageSchema = ${msg.name}Schema;`,
      );
    }
  }
  const schemaName = `${msg.name}Schema`;
  const type = msg.type === 'coordinator-key' || msg.type === 'coordinator-value' ? 'data' : msg.type;
  // Only an emitted older part decodes to the older field names (a field renamed since keeps only its new name).
  const olderFields = olderPart !== '' && p.older ? { fields: p.older.msg.fields, ctx: p.older.ctx } : undefined;
  out.push(`export interface ${msg.name} ${structType(msg.fields, main.ctx, '', olderFields)}`);
  out.push(
    `export const ${schemaName}: MessageSchema = { name: '${msg.name}', type: '${type}', apiKey: ${msg.apiKey ?? -1}, ` +
      `listeners: ${JSON.stringify(msg.listeners ?? [])}, valid: [${valid[0]}, ${valid[1]}], flexible: ${fv ? fv[0] : MAX + 1}, ` +
      `fields: ${emitFields(main)}${olderPart} };`,
  );
  out.push('');
  return schemaName;
}

const TYPES = ['request', 'response', 'header', 'data', 'metadata', 'coordinator-key', 'coordinator-value'];

/** Definitions under `dir` (recursively), by path relative to it. */
function definitions(dir: string): Map<string, JsonMessage> {
  const m = new Map<string, JsonMessage>();
  if (!existsSync(dir)) return m;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.json')) {
        const msg = parse(readFileSync(path, 'utf8'));
        if (TYPES.includes(msg.type)) m.set(relative(dir, path), msg);
      }
    }
  };
  walk(dir);
  return m;
}

function generate(sub: string, outFile: string): number {
  const newest = definitions(join(defsRoot, NEWEST, sub));
  const older = definitions(join(defsRoot, sub));
  // Requests and responses pair by api key (an API may be renamed: ListClientMetricsResources -> ListConfigResources).
  const apiId = (m: JsonMessage): string | null =>
    m.type === 'request' || m.type === 'response' ? `${m.type}:${m.apiKey}` : null;
  const byApi = new Map<string, string>();
  for (const [path, m] of older) {
    const id = apiId(m);
    if (id) byApi.set(id, path);
  }
  const pairs = new Map<string, Pair>();
  for (const [path, m] of newest) {
    const id = apiId(m);
    const olderPath = id ? byApi.get(id) : path;
    const o = olderPath === undefined ? undefined : older.get(olderPath);
    pairs.set(path, { newest: source(m), older: o && source(o) });
    if (olderPath !== undefined) older.delete(olderPath);
  }
  // Definitions only the older generation has (APIs Kafka 4 removed: LeaderAndIsr, UpdateMetadata, ...).
  for (const [path, m] of older) pairs.set(path, { older: source(m) });

  const out: string[] = [
    '// GENERATED by scripts/gen-protocol.ts from Kafka message definitions. Do not edit.',
    "import type { MessageSchema } from '../schema.ts';",
    '',
  ];
  const aliases: string[] = [];
  const registry: string[] = [];
  for (const path of [...pairs.keys()].sort()) {
    const p = pairs.get(path)!;
    if (p.newest && range(p.newest.msg.validVersions) === null) {
      // Kafka 4 keeps the file with no valid version (LeaderAndIsr...): the older definition is the only one.
      if (!p.older) continue;
      p.newest = undefined;
    }
    registry.push(emitMessage(p, out, aliases));
  }
  out.push(...aliases, ...(aliases.length > 0 ? [''] : []));
  out.push(`export const ALL_SCHEMAS: readonly MessageSchema[] = [${registry.join(', ')}];`, '');
  writeFileSync(outFile, out.join('\n'));
  console.log(`wrote ${outFile} (${registry.length} messages)`);
  return registry.length;
}

generate('message', join(root, 'src/protocol/generated/messages.ts'));
generate('internal', join(root, 'src/protocol/generated/internal.ts'));
