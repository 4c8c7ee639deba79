import type { z } from 'zod';
import type { environmentSchema, modelSchema, releaseSchema, releasesSchema, specSchema } from './schema';

/** A validated spec, defaults applied. */
export type Spec = z.output<typeof specSchema>;
/** What a user writes (`defineSpec({...})`): defaults optional. */
export type SpecInput = z.input<typeof specSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type Model = z.output<typeof modelSchema>;
export type ModelInput = z.input<typeof modelSchema>;
export type Training = NonNullable<Model['training']>;
export type Serving = NonNullable<Model['serving']>;
export type Resources = Training['resources'];

/** A validated release manifest: environment → model → release. */
export type Releases = z.output<typeof releasesSchema>;
export type ReleasesInput = z.input<typeof releasesSchema>;
export type Release = z.output<typeof releaseSchema>;
