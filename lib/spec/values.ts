import { editDistance } from '../util/suggest';

/**
 * The spec's small value types: durations (`90s`, `10m`, `12h`, `2d`, `800ms`), rates (`1%`),
 * gates (`>= 0.95`) and schedules (`daily`, `cron(0 3 * * ? *)`, `rate(12 hours)`). Parsed here once so the schema, the plan and the CLI agree.
 */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

export const DURATION_HINT = 'write it like 90s, 10m, 12h or 2d';

/** Seconds in a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}

/** Milliseconds in a duration string (for latencies such as `800ms`). */
export function parseDurationMs(text: string): number | undefined {
  const s = parseDuration(text);
  return s === undefined ? undefined : Math.round(s * 1000);
}

const RATE = /^(\d+(?:\.\d+)?)\s*%$/;

/** Percent in a rate string (`1%` → 1, `0.5%` → 0.5), or undefined. */
export function parseRate(text: string): number | undefined {
  const m = RATE.exec(text.trim());
  if (!m) return undefined;
  const v = Number(m[1]);
  return v <= 100 ? v : undefined;
}

export type GateOp = '>=' | '>' | '<=' | '<';
export interface Gate {
  readonly op: GateOp;
  readonly threshold: number;
}

const GATE = /^(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i;

/** `>= 0.95` → { op: '>=', threshold: 0.95 }, or undefined. */
export function parseGate(text: string): Gate | undefined {
  const m = GATE.exec(text.trim());
  if (!m) return undefined;
  return { op: m[1] as GateOp, threshold: Number(m[2]) };
}

/** Whether a metric value passes a gate. */
export function gatePasses(gate: Gate, value: number): boolean {
  switch (gate.op) {
    case '>=':
      return value >= gate.threshold;
    case '>':
      return value > gate.threshold;
    case '<=':
      return value <= gate.threshold;
    case '<':
      return value < gate.threshold;
  }
}

const SIZE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const SIZE_BYTES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes in a size string (`16Gi`), or undefined. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? SIZE_BYTES[m[2]] : 1);
}

/** `600` → `10m`, for messages and the plan table. */
export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 86400) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60}m`;
  return `${seconds}s`;
}

// ------------------------------------------------------------------ schedules

/**
 * When training runs by itself: an EventBridge Scheduler expression, `cron(...)` (six fields,
 * AWS's syntax) or `rate(value unit)`, or one of the friendly words below. Times are UTC.
 */
export const SCHEDULE_HINT =
  'write hourly, daily, weekly or monthly, or an EventBridge Scheduler expression such as cron(0 3 * * ? *) (six fields: minutes hours day-of-month month day-of-week year) or rate(12 hours)';

/** The friendly words and the expressions they become (UTC). */
export const SCHEDULE_WORDS: Readonly<Record<string, string>> = {
  /** Every hour, on the hour. */
  hourly: 'cron(0 * * * ? *)',
  /** Every day at 00:00 UTC. */
  daily: 'cron(0 0 * * ? *)',
  /** Every Sunday at 00:00 UTC. */
  weekly: 'cron(0 0 ? * SUN *)',
  /** The 1st of every month at 00:00 UTC. */
  monthly: 'cron(0 0 1 * ? *)',
};

/** A valid schedule, normalized to the expression EventBridge Scheduler takes. */
export interface Schedule {
  /** `cron(0 0 * * ? *)`, `rate(12 hours)`: words translated, spacing tidied, names upper-cased. */
  readonly expression: string;
}

/** `daily` → { expression: 'cron(0 0 * * ? *)' }; `rate(5 minutes)` → itself; undefined when not a schedule. */
export function parseSchedule(text: string): Schedule | undefined {
  const result = readSchedule(text);
  return 'expression' in result ? result : undefined;
}

/** Why a schedule is not valid and what would be (`"rate(1 hours)": ...; write rate(1 hour)`), or undefined when it is. */
export function scheduleProblem(text: string): string | undefined {
  const result = readSchedule(text);
  return 'problem' in result ? result.problem : undefined;
}

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** What the values may be, for messages. */
  readonly values: string;
  /** The wildcards AWS allows in the field. */
  readonly wildcards: string;
  readonly names?: readonly string[];
  /** What a bad name is not: "a month", "a day". */
  readonly noun?: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** AWS's cron fields, in order (EventBridge Scheduler, "Schedule types": cron-based schedules). */
const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59, values: '0-59', wildcards: ', - * /' },
  { name: 'hours', min: 0, max: 23, values: '0-23', wildcards: ', - * /' },
  { name: 'day-of-month', min: 1, max: 31, values: '1-31', wildcards: ', - * ? / L W' },
  { name: 'month', min: 1, max: 12, values: '1-12 or JAN-DEC', wildcards: ', - * /', names: MONTHS, noun: 'a month' },
  { name: 'day-of-week', min: 1, max: 7, values: '1-7 (1 is SUN) or SUN-SAT', wildcards: ', - * ? L #', names: DAYS, noun: 'a day' },
  { name: 'year', min: 1970, max: 2199, values: '1970-2199', wildcards: ', - * /' },
];
const CRON_LAYOUT = 'minutes hours day-of-month month day-of-week year';
const WILDCARD_HOME: Record<string, string> = {
  '?': '? is only for day-of-month or day-of-week',
  L: 'L is only for day-of-month or day-of-week',
  W: 'W is only for day-of-month',
  '#': '# is only for day-of-week',
  '/': 'list the values instead, such as MON,WED,FRI',
};

const RATE_UNITS = ['minute', 'hour', 'day'] as const;
/** Units people write that EventBridge does not take, and what they mean: [unit, multiplier]. */
const RATE_ALIASES: Record<string, [(typeof RATE_UNITS)[number], number]> = {
  m: ['minute', 1], min: ['minute', 1], mins: ['minute', 1],
  h: ['hour', 1], hr: ['hour', 1], hrs: ['hour', 1],
  d: ['day', 1],
  w: ['day', 7], wk: ['day', 7], wks: ['day', 7], week: ['day', 7], weeks: ['day', 7],
};

const quoted = (s: string) => JSON.stringify(s);
const rateOf = (value: number, unit: string) => `rate(${value} ${unit}${value === 1 ? '' : 's'})`;

function readSchedule(text: string): { expression: string } | { problem: string } {
  const written = text.trim().replace(/\s+/g, ' ');
  const word = SCHEDULE_WORDS[written.toLowerCase()];
  if (word !== undefined) return { expression: word };

  const call = /^(cron|rate|at)\s*\((.*)\)$/i.exec(written);
  if (call) {
    const kind = call[1].toLowerCase();
    const body = call[2].trim();
    if (kind === 'rate') return readRate(text, body);
    if (kind === 'cron') return readCron(text, body.split(' ').filter((f) => f !== ''));
    return { problem: `${quoted(text)} runs once; a training schedule repeats: write a cron(...) or rate(...) expression, such as cron(0 3 * * ? *)` };
  }
  // Cron fields without the cron(...) around them: five (Unix) or six (AWS).
  const fields = written.split(' ');
  if (fields.length >= 5 && fields.length <= 6 && fields.every((f) => /^[-0-9A-Za-z*?,/#]+$/.test(f)) && /[0-9*]/.test(fields[0])) {
    if (fields.length === 5) return readCron(text, fields);
    const inner = readCron(text, fields);
    if ('problem' in inner) return inner;
    return { problem: `${quoted(text)} needs cron(...) around it; write ${inner.expression}` };
  }
  const near = closestWord(written.toLowerCase(), Object.keys(SCHEDULE_WORDS));
  return { problem: `${quoted(text)} is not a schedule; ${near ? `did you mean "${near}"?` : SCHEDULE_HINT}` };
}

function closestWord(word: string, words: string[]): string | undefined {
  // A one- or two-letter slip of a friendly word ("dayly", "weekley").
  return words.find((w) => editDistance(word, w) <= 2);
}

/** `rate(value unit)`: value a whole number above 0; unit minute(s), hour(s) or day(s), singular only with 1. */
function readRate(text: string, body: string): { expression: string } | { problem: string } {
  const m = /^(\S+) (\S+)$/.exec(body);
  if (!m) return { problem: `${quoted(text)} is not a rate expression; write rate(value unit), such as rate(12 hours) or rate(1 day)` };
  const [, valueText, unitText] = m;
  const unit = unitText.toLowerCase();
  const value = Number(valueText);
  const singular = RATE_UNITS.find((u) => u === unit);
  const plural = RATE_UNITS.find((u) => `${u}s` === unit);
  const base = singular ?? plural;
  if (base === undefined) {
    const alias = RATE_ALIASES[unit];
    const fix = alias && Number.isInteger(value) && value > 0 ? `: write ${rateOf(value * alias[1], alias[0])}` : ', such as rate(12 hours)';
    return { problem: `${quoted(text)} has the unit "${unitText}"; EventBridge takes minute(s), hour(s) or day(s)${fix}` };
  }
  if (!/^\d+$/.test(valueText) || value < 1) {
    const minutes = value * (base === 'day' ? 1440 : base === 'hour' ? 60 : 1);
    const fix = Number.isInteger(minutes) && minutes >= 1 ? `: write ${rateOf(minutes, 'minute')}` : `, such as ${rateOf(12, base)}`;
    return { problem: `${quoted(text)} has the value ${valueText}; the value must be a whole number above 0${fix}` };
  }
  if (value === 1 && plural) return { problem: `${quoted(text)} has the plural ${unitText} with 1; EventBridge takes the singular there: write rate(1 ${base})` };
  if (value > 1 && singular) return { problem: `${quoted(text)} has the singular ${unitText} with ${value}; EventBridge takes the plural there: write rate(${value} ${base}s)` };
  return { expression: `rate(${value} ${unit})` };
}

/** AWS cron: six fields, valid values and wildcards per field, and ? in exactly one of the day fields. */
function readCron(text: string, rawFields: string[]): { expression: string } | { problem: string } {
  const fields = rawFields.map((f) => f.toUpperCase());
  if (fields.length === 5) {
    const examples = fromUnixCron(fields);
    const days = /\d/.test(fields[4]) ? ' (AWS numbers the days 1-7 from SUN)' : '';
    return {
      problem: `${quoted(text)} has 5 fields, like Unix cron; AWS cron has 6 (${CRON_LAYOUT}) with ? in one of the day fields${examples.length ? `: write ${examples.join(' or ')}${days}` : ''}`,
    };
  }
  if (fields.length !== 6) {
    return { problem: `${quoted(text)} has ${fields.length} field${fields.length === 1 ? '' : 's'}; AWS cron has 6 (${CRON_LAYOUT}), such as cron(0 3 * * ? *)` };
  }
  for (let i = 0; i < 6; i++) {
    const problem = cronFieldProblem(CRON_FIELDS[i], fields[i]);
    if (problem) return { problem: `${quoted(text)}: ${problem}` };
  }
  const [minutes, hours, dom, month, dow, year] = fields;
  const expression = (d: string, w: string) => `cron(${minutes} ${hours} ${d} ${month} ${w} ${year})`;
  if (dom === '?' && dow === '?') {
    return { problem: `${quoted(text)} has ? in both day-of-month and day-of-week; one of them needs a value: write ${expression('*', '?')} for every day` };
  }
  if (dom !== '?' && dow !== '?') {
    const fixes = dom === '*' ? [expression('?', dow)] : dow === '*' ? [expression(dom, '?')] : [expression(dom, '?'), expression('?', dow)];
    return {
      problem: `${quoted(text)} sets both day-of-month (${dom}) and day-of-week (${dow}); AWS needs ? in one of them: write ${fixes.join(' or ')}`,
    };
  }
  return { expression: expression(dom, dow) };
}

/** One cron field's problem (`minutes 60 is out of range; use 0-59`), or undefined. */
function cronFieldProblem(f: CronField, field: string): string | undefined {
  const allows = (c: string) => f.wildcards.split(' ').includes(c);
  if (field.includes('?')) {
    if (!allows('?')) return `${f.name} takes no ?; ${WILDCARD_HOME['?']}`;
    return field === '?' ? undefined : `${f.name} "${field}" mixes ? with other values; ? stands alone`;
  }
  if (field.includes('#')) {
    if (!allows('#')) return `${f.name} takes no #; ${WILDCARD_HOME['#']}`;
    const m = /^([^#,]+)#([^#,]+)$/.exec(field);
    if (!m) return `${f.name} "${field}" has more than one #; AWS takes a single day#week there, such as 2#1 (the first MON)`;
    if (!/^[1-5]$/.test(m[2])) return `${f.name} "${field}" asks for week ${m[2]} of the month; use 1-5, such as 2#1 (the first MON)`;
    return valueProblem(f, m[1]);
  }
  for (const item of field.split(',')) {
    const problem = itemProblem(f, item);
    if (problem) return problem;
  }
  return undefined;
}

function itemProblem(f: CronField, item: string): string | undefined {
  const allows = (c: string) => f.wildcards.split(' ').includes(c);
  if (item === '*') return undefined;
  if (item === '') return `${f.name} has an empty item in a list; write values separated by commas, such as 1,15`;
  if (f.name === 'day-of-month' && (item === 'L' || item === 'LW')) return undefined;
  if (f.name === 'day-of-month' && /^\d+W$/.test(item)) return valueProblem(f, item.slice(0, -1));
  if (f.name === 'day-of-week' && item === 'L') return undefined;
  if (f.name === 'day-of-week' && /^[0-9A-Z]+L$/.test(item) && item.length > 1) return valueProblem(f, item.slice(0, -1));
  const slash = item.split('/');
  if (slash.length === 2) {
    if (!allows('/')) return `${f.name} takes no /; ${WILDCARD_HOME['/']}`;
    const [start, step] = slash;
    if (!/^\d+$/.test(step) || Number(step) < 1) return `${f.name} "${item}" has the increment ${step || '(none)'}; use a whole number above 0, such as ${f.name === 'minutes' ? '0/15' : `${f.min}/2`}`;
    return start === '*' ? undefined : rangeProblem(f, start);
  }
  if (slash.length > 2) return `${f.name} "${item}" is not valid; use ${f.values} with ${f.wildcards}`;
  return rangeProblem(f, item);
}

function rangeProblem(f: CronField, item: string): string | undefined {
  const parts = item.split('-');
  if (parts.length > 2 || parts.some((p) => p === '')) return `${f.name} "${item}" is not valid; use ${f.values} with ${f.wildcards}`;
  for (const p of parts) {
    const problem = valueProblem(f, p);
    if (problem) return problem;
  }
  return undefined;
}

function valueProblem(f: CronField, value: string): string | undefined {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n >= f.min && n <= f.max ? undefined : `${f.name} ${value} is out of range; use ${f.values}`;
  }
  if (/^[A-Z]{3}$/.test(value) && f.names) {
    if (f.names.includes(value)) return undefined;
    const near = f.names.find((n) => editDistance(n, value) === 1);
    return `${f.name} "${value}" is not ${f.noun}; ${near ? `did you mean "${near}"?` : `use ${f.values}`}`;
  }
  for (const c of ['?', 'L', 'W', '#']) {
    if (value.includes(c) && !f.wildcards.split(' ').includes(c)) return `${f.name} takes no ${c}; ${WILDCARD_HOME[c]}`;
  }
  return `${f.name} "${value}" is not valid; use ${f.values} with ${f.wildcards}`;
}

/**
 * The AWS forms of a Unix cron line: `0 3 * * 1-5` → [`cron(0 3 ? * 2-6 *)`]. Unix runs when
 * either day field matches, AWS on one of them, so a line with both gives both choices.
 */
function fromUnixCron([minutes, hours, dom, month, dow]: string[]): string[] {
  const byMonth = `cron(${minutes} ${hours} ${dom === '?' ? '*' : dom} ${month} ? *)`;
  const days = unixDays(dow);
  const byWeek = days === undefined ? undefined : `cron(${minutes} ${hours} ? ${month} ${days} *)`;
  const candidates = dow === '*' || dow === '?' ? [byMonth] : dom === '*' || dom === '?' ? [byWeek] : [byMonth, byWeek];
  const valid = candidates.map((c) => (c === undefined ? undefined : parseSchedule(c)?.expression));
  return valid.every((c) => c !== undefined) ? (valid as string[]) : [];
}

/** Unix day numbers (0-7, 0 and 7 are Sunday) as AWS's (1-7 from Sunday); names stay. */
function unixDays(field: string): string | undefined {
  if (!/^[0-9A-Z,-]+$/.test(field)) return undefined;
  const items = field.split(',').map((item) => {
    const parts = item.split('-').map((p) => (/^\d+$/.test(p) ? String((Number(p) % 7) + 1) : p));
    if (parts.length === 2 && /^\d+$/.test(parts[0]) && /^\d+$/.test(parts[1]) && Number(parts[0]) > Number(parts[1])) return undefined;
    return parts.join('-');
  });
  return items.some((i) => i === undefined) ? undefined : items.join(',');
}
