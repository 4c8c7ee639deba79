/**
 * How bad an issue is. An error rejects the input; a warning is printed and the input is used anyway (such as a
 * pinned SKU in a region mlspec's conservative region table does not list).
 */
export type Severity = 'error' | 'warning';

/** One rejected (or, for a warning, doubtful) input: where (file, line, column, path) and what, in the user's terms. */
export interface SpecIssue {
  /** The file as the user named it (`mlspec.yaml`), or undefined for a TypeScript spec given in memory. */
  readonly file?: string;
  /** 1-based; undefined when the input has no positions (TypeScript specs). */
  readonly line?: number;
  readonly col?: number;
  /** Dotted path in the user's document: `models.fraud-detector.serving.replicas.min`. */
  readonly path: string;
  /** `what is wrong; what would be right`. */
  readonly message: string;
  /** Absent means an error. */
  readonly severity?: Severity;
}

/**
 * `mlspec.yaml:41:9  models.x.serving.resources.accelerator: vertex has no A10G; it offers ...`; a warning reads
 * `mlspec.yaml:41:9  models.x.serving.resources.instanceType.azureml: warning: ...`.
 */
export function formatIssue(issue: SpecIssue): string {
  const where = issue.file === undefined ? '' : issue.line === undefined ? `${issue.file}  ` : `${issue.file}:${issue.line}:${issue.col ?? 1}  `;
  const path = issue.path === '' ? '(top level)' : issue.path;
  return `${where}${path}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`;
}

/**
 * Every error of a run at once; thrown by the loaders, printed by the CLI without a stack trace. `issues` are the
 * errors (the message lists them); `warnings` are what the same run would have warned about.
 */
export class SpecError extends Error {
  constructor(
    readonly issues: readonly SpecIssue[],
    readonly warnings: readonly SpecIssue[] = [],
  ) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'SpecError';
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The warnings of a valid input as printed on stderr: one formatted line each, '' when there are none. */
export function formatWarnings(warnings: readonly SpecIssue[]): string {
  return warnings.map((w) => `${formatIssue(w)}\n`).join('');
}

/**
 * What `mlspec validate` and `cdk synth` print on stderr for a rejected input: every error (and warning, in file
 * order) with its position, then `2 errors` (or `2 errors, 1 warning`).
 */
export function formatSpecError(e: SpecError): string {
  if (e.warnings.length === 0) return `${e.message}\n${plural(e.issues.length, 'error')}\n`;
  const lines = sortIssues([...e.issues, ...e.warnings]).map(formatIssue);
  return `${lines.join('\n')}\n${plural(e.issues.length, 'error')}, ${plural(e.warnings.length, 'warning')}\n`;
}

/** Dotted path for messages; keys with dots or spaces are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((seg) => {
      const s = String(seg);
      return /[.\s"]/.test(s) ? JSON.stringify(s) : s;
    })
    .join('.');
}

/** Sort by file, then position, so the output reads top to bottom. */
export function sortIssues(issues: readonly SpecIssue[]): SpecIssue[] {
  return [...issues].sort(
    (a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || a.path.localeCompare(b.path),
  );
}
