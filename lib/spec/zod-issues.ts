import type { z } from 'zod';
import { suggestion } from '../util/suggest';

/**
 * Turns zod's issues into mlspec's "what is wrong; what would be right" messages.
 * Unknown keys become one issue per key, with a "did you mean" from the object's own keys.
 */
export interface RawIssue {
  readonly path: PropertyKey[];
  readonly message: string;
  /** The issue is about the key itself (unknown or invalid key), not its value. */
  readonly atKey?: boolean;
  /** The path does not exist in the input (a required key is missing). */
  readonly missing?: boolean;
}

type ZodIssue = z.core.$ZodIssue;

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the text ${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a map of keys';
    case 'array':
      return 'a list';
    case 'string':
      return 'text';
    case 'record':
      return 'a map';
    default:
      return article(expected);
  }
}

/** Runs the schema, collecting the allowed keys of every object that had unknown keys. */
export function parseWithIssues<T extends z.ZodType>(schema: T, input: unknown): { data?: z.output<T>; issues: RawIssue[] } {
  const knownKeys = new Map<string, string[]>();
  const result = schema.safeParse(input, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys' && iss.inst) {
        const shape = (iss.inst as unknown as { _zod: { def: { shape?: Record<string, unknown> } } })._zod.def.shape;
        if (shape) knownKeys.set(JSON.stringify(iss.path ?? []), Object.keys(shape));
      }
      return undefined;
    },
  });
  if (result.success) return { data: result.data, issues: [] };
  const issues: RawIssue[] = [];
  for (const issue of result.error.issues) collect(issue, [], input, knownKeys, issues);
  return { issues };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let cur: unknown = input;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !(String(seg) in (cur as object))) return { found: false, value: undefined };
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return { found: true, value: cur };
}

function collect(issue: ZodIssue, prefix: PropertyKey[], input: unknown, knownKeys: Map<string, string[]>, out: RawIssue[]): void {
  const path = [...prefix, ...issue.path];
  const at = valueAt(input, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys.get(JSON.stringify(path)) ?? knownKeys.get(JSON.stringify(issue.path)) ?? [];
      for (const key of issue.keys) {
        out.push({ path: [...path, key], atKey: true, message: `unknown key "${key}"${suggestion(key, known)}` });
      }
      return;
    }
    case 'invalid_key': {
      for (const inner of issue.issues) out.push({ path, atKey: true, message: messageOf(inner as ZodIssue, path[path.length - 1]) });
      return;
    }
    case 'invalid_union': {
      // Report the alternative that got furthest: the one whose issues are not about the value's own type.
      const branches = issue.errors.filter((b) => !b.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      const best = branches[0] ?? issue.errors[0];
      if (branches.length === 0 || best === undefined) {
        const expected = issue.errors.map((b) => (b[0]?.code === 'invalid_type' ? expectedName((b[0] as { expected: string }).expected) : 'another form')).join(' or ');
        out.push({ path, missing: !at.found, message: at.found ? `${typeOf(at.value)} is not allowed here; expected ${expected}` : `missing; expected ${expected}` });
        return;
      }
      for (const inner of best) collect(inner as ZodIssue, path, input, knownKeys, out);
      return;
    }
    case 'invalid_type':
      if (!at.found || at.value === undefined) {
        out.push({ path, missing: true, message: `missing; add ${expectedName(issue.expected)} here` });
      } else {
        out.push({ path, message: issue.message.startsWith('Invalid input') ? `${typeOf(at.value)} is not allowed here; expected ${expectedName(issue.expected)}` : issue.message });
      }
      return;
    default:
      out.push({ path, message: messageOf(issue, at.value) });
  }
}

/** Messages for the codes whose default zod text reads like a developer's. */
function messageOf(issue: ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      if (typeof value === 'string') return `"${value}" is not allowed${suggestion(value, allowed)}`;
      return `${typeOf(value)} is not allowed; expected one of ${allowed.join(', ')}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `${JSON.stringify(value)} is too small; use ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `has too many items; use at most ${issue.maximum}`;
      return `${JSON.stringify(value)} is too large; use ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'invalid_format':
      return issue.message.startsWith('Invalid') ? `${typeOf(value)} is not a valid ${issue.format}` : issue.message;
    default:
      return issue.message;
  }
}
