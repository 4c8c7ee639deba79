import { loadProjectText, SpecError, type LoadedProject } from '../spec';
import { resolvePlan } from '../plan/resolve';
import { checkGates, type GateResult } from './gates';
import type { LiveStateFactory } from './live';
import { editRelease, lineDiff, ManifestLayoutError, promotedTraffic } from './manifest';

export interface PromoteRequest {
  readonly model: string;
  readonly version: string;
  readonly to: string;
  /** Share for the version; the versions serving before share the rest. @default 100 */
  readonly percent?: number;
  readonly force?: boolean;
  readonly reason?: string;
  readonly specText: string;
  readonly specFile: string;
  readonly releasesText: string;
  readonly releasesFile: string;
  readonly live: LiveStateFactory;
  readonly now?: Date;
}

export type PromoteOutcome =
  | { readonly ok: true; readonly gates: GateResult[]; readonly forced: boolean; readonly text: string; readonly diff: string }
  | { readonly ok: false; readonly gates: GateResult[]; readonly refusal: string };

/** A mistake in how promote was called (exit 2), as opposed to a failed gate (exit 1). */
export class PromoteUsageError extends Error {}

/**
 * Checks the gates, then computes releases.yaml with the version promoted. Writes nothing: the
 * caller writes `text` (or prints `diff` for --dry-run).
 */
export async function promote(req: PromoteRequest, project: LoadedProject): Promise<PromoteOutcome> {
  const { spec, releases } = project;
  if (!spec.models[req.model]) throw new PromoteUsageError(`model "${req.model}" is not in the spec; it has ${Object.keys(spec.models).join(', ')}`);
  if (!spec.environments[req.to]) throw new PromoteUsageError(`--to: environment "${req.to}" is not in the spec; it has ${Object.keys(spec.environments).join(', ')}`);
  const percent = req.percent ?? 100;
  if (!Number.isInteger(percent) || percent < 1 || percent > 100) throw new PromoteUsageError(`--percent ${req.percent} is not a whole percent from 1 to 100`);
  if (req.force && !req.reason?.trim()) throw new PromoteUsageError('--force needs --reason "..." saying why the gates are overridden; it goes into releases.yaml');

  const next = promotedTraffic(releases[req.to]?.[req.model], req.version, percent);
  if (typeof next === 'string') return { ok: false, gates: [], refusal: `cannot give version ${req.version} ${percent}% of ${req.model} in ${req.to}: ${next}` };

  const plan = resolvePlan(project);
  const gates = await checkGates({ project, plan, model: req.model, version: req.version, to: req.to, live: req.live, now: req.now });
  const failed = gates.filter((g) => !g.passed);
  if (failed.length > 0 && !req.force) {
    return { ok: false, gates, refusal: `refused: ${failed.length} gate${failed.length === 1 ? '' : 's'} failed for ${req.model} ${req.version} → ${req.to}` };
  }
  if (failed.length > 0 && spec.environments[req.to].protected) {
    return { ok: false, gates, refusal: `refused: ${req.to} is protected, so --force cannot override its gates; make the failing gates pass` };
  }
  const forced = failed.length > 0;
  const date = (req.now ?? new Date()).toISOString().slice(0, 10);
  const comment = forced ? `forced by mlspec promote ${req.version} on ${date}: ${req.reason!.trim().replace(/\s+/g, ' ')} (failed: ${failed.map((g) => g.gate).join(', ')})` : undefined;
  let text: string;
  try {
    text = editRelease(req.releasesText, req.to, req.model, next, comment);
  } catch (e) {
    if (e instanceof ManifestLayoutError) return { ok: false, gates, refusal: `cannot edit ${req.releasesFile}: ${e.message}` };
    throw e;
  }

  // The edited manifest must still be valid with the spec (e.g. SageMaker's one-live-version-with-a-shadow rule).
  try {
    loadProjectText(req.specText, req.specFile, text, req.releasesFile);
  } catch (e) {
    if (e instanceof SpecError) return { ok: false, gates, refusal: `refused: the promoted releases.yaml would be invalid:\n${e.message}` };
    throw e;
  }
  return { ok: true, gates, forced, text, diff: lineDiff(req.releasesText, text, req.releasesFile) };
}
