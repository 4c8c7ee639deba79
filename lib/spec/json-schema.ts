import { z } from 'zod';
import { releasesSchema, specSchema } from './schema';

/** The JSON Schema of mlspec.yaml (what a user writes: defaults optional), for editors and `mlspec schema`. */
export function specJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(specSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
    $id: 'https://mlspec.dev/schema/v1/mlspec.json',
    title: 'mlspec spec (mlspec.yaml)',
  };
}

/** The JSON Schema of releases.yaml. */
export function releasesJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(releasesSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
    $id: 'https://mlspec.dev/schema/v1/releases.json',
    title: 'mlspec release manifest (releases.yaml)',
  };
}
