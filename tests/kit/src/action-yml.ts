import { readFileSync } from 'node:fs';
import { parse, parseDocument } from 'yaml';

export interface ActionInput {
  description?: string;
  required?: boolean;
  /** As written; YAML scalars other than strings (e.g. `default: true`) are kept as their text. */
  default?: string;
}

export interface ActionYml {
  name?: string;
  description?: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string }>;
  runs: Record<string, string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : String(value);

/** Parses an action.yml with a YAML parser (not regexes, which break on quoting, folding and comments). */
export function parseActionYml(source: string): ActionYml {
  const doc: unknown = parse(source);
  if (!isRecord(doc)) throw new Error('action.yml: not a mapping');
  const inputs: Record<string, ActionInput> = {};
  for (const [name, spec] of Object.entries(isRecord(doc['inputs']) ? doc['inputs'] : {})) {
    const s = isRecord(spec) ? spec : {};
    inputs[name] = {
      description: text(s['description']),
      required: s['required'] === undefined ? undefined : s['required'] === true || s['required'] === 'true',
      default: text(s['default']),
    };
  }
  const outputs: Record<string, { description?: string }> = {};
  for (const [name, spec] of Object.entries(isRecord(doc['outputs']) ? doc['outputs'] : {})) {
    outputs[name] = { description: text(isRecord(spec) ? spec['description'] : undefined) };
  }
  const runs: Record<string, string> = {};
  for (const [key, value] of Object.entries(isRecord(doc['runs']) ? doc['runs'] : {}))
    runs[key] = String(value);
  return { name: text(doc['name']), description: text(doc['description']), inputs, outputs, runs };
}

export function readActionYml(path: string): ActionYml {
  return parseActionYml(readFileSync(path, 'utf8'));
}

/**
 * The value of every input as the runner passes it to a step when the workflow sets none: the default, ''
 * when there is none, and '' for a `${{ ... }}` expression (the runner would expand it; tests have no context).
 */
export function runnerDefaults(yml: ActionYml): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, input] of Object.entries(yml.inputs)) {
    const value = input.default ?? '';
    out[name] = value.trim().startsWith('${{') ? '' : value;
  }
  return out;
}

/** The source with one scalar replaced (e.g. runs.using for a validator that predates node24), comments kept. */
export function setInYml(source: string, path: readonly string[], value: string): string {
  const doc = parseDocument(source);
  doc.setIn(path, value);
  return doc.toString();
}
