import type { ReleasesInput, SpecInput } from './types';

/**
 * The TypeScript front door: the same shape as mlspec.yaml, with full types. Returns its input;
 * validation happens where the spec is loaded (`validateProject`, the CLI, the CDK app), through
 * the same schema as YAML, so the same mistake gets the same error.
 */
export function defineSpec<const T extends SpecInput>(spec: T): T {
  return spec;
}

/** The release manifest in TypeScript: environment → model → { traffic, shadow }. */
export function defineReleases<const T extends ReleasesInput>(releases: T): T {
  return releases;
}
