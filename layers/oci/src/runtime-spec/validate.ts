// Validating config.json: the precompiled JSON Schema first, then the semantic rules.
import fs from 'node:fs';
import { validateConfig, validateState as stateSchema, validateFeatures as featuresSchema, type Validator } from '../generated/validators';
import { OciError, formatIssue, type ValidationIssue } from '../errors';
import { get, show, escapeToken } from '../pointer';
import { semanticIssues } from './semantic';
import type { Spec } from './types';
import { applyRuncLeniency } from './compat';

function schemaIssues(v: Validator, doc: unknown): ValidationIssue[] {
  if (v(doc)) return [];
  return (v.errors ?? []).map((e) => {
    let pointer = e.instancePath;
    let message: string;
    switch (e.keyword) {
      case 'required':
        pointer = `${pointer}/${escapeToken(String(e.params.missingProperty))}`;
        message = 'is required';
        break;
      case 'enum':
        message = `must be one of ${(e.params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')} (got ${show(get(doc, pointer))})`;
        break;
      case 'type':
        message = `must be ${e.params.type === 'integer' ? 'an integer' : `of type ${e.params.type}`} (got ${show(get(doc, pointer))})`;
        break;
      case 'pattern':
        message = `must match ${e.params.pattern} (got ${show(get(doc, pointer))})`;
        break;
      default:
        message = `${e.message ?? e.keyword} (got ${show(get(doc, pointer))})`;
    }
    return { pointer, rule: e.keyword, message };
  });
}

/** Every problem of a config.json document, schema and semantic. */
export function validateSpec(doc: unknown): ValidationIssue[] {
  const issues = schemaIssues(validateConfig, doc);
  // Semantic rules assume the shape is right: only run them on a schema-valid document.
  if (issues.length === 0) issues.push(...semanticIssues(doc as Spec));
  return issues;
}

export function validateState(doc: unknown): ValidationIssue[] {
  return schemaIssues(stateSchema, doc);
}

export function validateFeatures(doc: unknown): ValidationIssue[] {
  return schemaIssues(featuresSchema, doc);
}

/** Line and column of a character offset (for JSON syntax errors). */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * Read and validate a config.json; throws OciError with every issue. With `runcLenient`, values
 * runc accepts though the schema forbids them are dropped first (compat.ts); `notes` gets what
 * was dropped.
 */
export function parseSpecFile(file: string, o: { runcLenient?: boolean; notes?: string[] } = {}): Spec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OciError(code === 'ENOENT' ? 'ENOENT' : 'READ', `${file}: ${code === 'ENOENT' ? 'no such file (is --bundle right?)' : (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const where = m ? ` at ${lineCol(text, Number(m[1]))}` : '';
    throw new OciError('INVALID_JSON', `config.json: invalid JSON${where}: ${(e as Error).message}`);
  }
  if (o.runcLenient) {
    const dropped = applyRuncLeniency(doc); // (not inside notes?.push(): that would skip the call)
    o.notes?.push(...dropped);
  }
  const issues = validateSpec(doc);
  if (issues.length) {
    throw new OciError('INVALID_CONFIG', issues.map((i) => formatIssue(i)).join('; '), issues[0].pointer, issues);
  }
  return doc as Spec;
}
