import { z } from 'zod';
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

/**
 * What a value should be, in the user's words (`an AWS region (such as us-east-1)`), for the
 * "missing; add ... here" of a required key. Schemas without one are described from their type.
 */
export const expectations = z.registry<{ expected: string }>();

/** Registers what `schema` expects (see `expectations`) and returns it. */
export function expecting<T extends z.ZodType>(schema: T, expected: string): T {
  expectations.add(schema, { expected });
  return schema;
}

export const article = (t: string) => (/^[aeiou]/i.test(t) ? `an ${t}` : `a ${t}`);

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
  for (const issue of result.error.issues) collect(issue, [], input, { schema, knownKeys }, issues);
  return { issues };
}

interface Context {
  readonly schema: z.ZodType;
  readonly knownKeys: Map<string, string[]>;
}

type Def = { type: string; [k: string]: unknown };
const defOf = (schema: z.core.$ZodType): Def => schema._zod.def as unknown as Def;

/** The schema of the value at `path` (record keys and list indexes included), or undefined. */
function schemaAt(root: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let cur: z.core.$ZodType | undefined = root;
  for (const seg of path) {
    cur = cur && child(unwrap(cur), String(seg));
    if (cur === undefined) return undefined;
  }
  return cur;
}

const WRAPPERS = ['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch'];

/** The schema a wrapper (optional, default, ...) or pipe (its input side) stands for, or undefined for the others. */
function wrapped(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  const def = defOf(schema);
  if (WRAPPERS.includes(def.type)) return def.innerType as z.core.$ZodType;
  if (def.type === 'pipe') return def.in as z.core.$ZodType;
  return undefined;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let cur = schema;
  for (let next = wrapped(cur); next !== undefined; next = wrapped(cur)) cur = next;
  return cur;
}

function child(schema: z.core.$ZodType, key: string): z.core.$ZodType | undefined {
  const def = defOf(schema);
  if (def.type === 'object') return (def.shape as Record<string, z.core.$ZodType>)[key];
  if (def.type === 'record') return def.valueType as z.core.$ZodType;
  if (def.type === 'array') return def.element as z.core.$ZodType;
  return undefined;
}

/** `one of invocations, gpu`, `a whole number from 1 to 500`, or the registered expectation. */
function expectedOf(schema: z.core.$ZodType): string {
  // The outermost registered expectation wins: `versionLabel` says more than the union inside it.
  let cur: z.core.$ZodType | undefined = schema;
  for (; cur !== undefined; cur = wrapped(cur)) {
    const hint = expectations.get(cur as z.ZodType);
    if (hint) return hint.expected;
  }
  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'enum':
      return `one of ${Object.values(def.entries as Record<string, string>).join(', ')}`;
    case 'literal':
      return (def.values as unknown[]).map((v) => JSON.stringify(v)).join(' or ');
    case 'number':
      return numberExpected(def);
    case 'boolean':
      return 'true or false';
    case 'object':
      return `a map with keys ${Object.keys(def.shape as object).join(', ')}`;
    case 'union':
      return (def.options as z.core.$ZodType[]).map(expectedOf).join(' or ');
    default:
      return expectedName(def.type);
  }
}

/** `a whole number from 1 to 500`, `a number above 0`. */
function numberExpected(def: Def): string {
  const what = (def.checks as z.core.$ZodCheck[] | undefined)?.some((c) => /int/.test(String((c._zod.def as { format?: string }).format))) ? 'a whole number' : 'a number';
  let low: { value: number; inclusive: boolean } | undefined;
  let high: { value: number; inclusive: boolean } | undefined;
  for (const check of (def.checks ?? []) as z.core.$ZodCheck[]) {
    const c = check._zod.def as unknown as { check: string; value: number; inclusive: boolean };
    if (c.check === 'greater_than') low = c;
    if (c.check === 'less_than') high = c;
  }
  if (low?.inclusive && high?.inclusive) return `${what} from ${low.value} to ${high.value}`;
  const bounds = [low && `${low.inclusive ? 'at least' : 'above'} ${low.value}`, high && `${high.inclusive ? 'at most' : 'below'} ${high.value}`].filter(Boolean);
  return bounds.length ? `${what} ${bounds.join(' and ')}` : what;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let cur: unknown = input;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !(String(seg) in (cur as object))) return { found: false, value: undefined };
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return { found: true, value: cur };
}

function collect(issue: ZodIssue, prefix: PropertyKey[], input: unknown, context: Context, out: RawIssue[]): void {
  const path = [...prefix, ...issue.path];
  const at = valueAt(input, path);
  const { knownKeys } = context;
  // A required key that is not there: say so, and what it may be (never "undefined is not allowed").
  if ((!at.found || at.value === undefined) && ['invalid_type', 'invalid_value', 'invalid_union'].includes(issue.code)) {
    const schema = schemaAt(context.schema, path);
    if (schema !== undefined) {
      out.push({ path, missing: true, message: `missing; add ${expectedOf(schema)} here` });
      return;
    }
  }
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
        out.push({ path, missing: !at.found, message: at.found ? `${typeOf(at.value)} is not allowed here; expected ${expected}` : `missing; add ${expected} here` });
        return;
      }
      for (const inner of best) collect(inner as ZodIssue, path, input, context, out);
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
      if (value === undefined) return `missing; add one of ${allowed.join(', ')} here`;
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
