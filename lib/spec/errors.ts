/** One rejected input: where (file, line, column, path) and what, in the user's terms. */
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
}

/** `mlspec.yaml:41:9  models.x.serving.resources.accelerator: vertex has no A10G; it offers ...` */
export function formatIssue(issue: SpecIssue): string {
  const where = issue.file === undefined ? '' : issue.line === undefined ? `${issue.file}  ` : `${issue.file}:${issue.line}:${issue.col ?? 1}  `;
  const path = issue.path === '' ? '(top level)' : issue.path;
  return `${where}${path}: ${issue.message}`;
}

/** Every error of a run at once; thrown by the loaders, printed by the CLI without a stack trace. */
export class SpecError extends Error {
  constructor(readonly issues: readonly SpecIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'SpecError';
  }
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
