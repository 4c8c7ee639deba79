import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { releasesJsonSchema, specJsonSchema } from '../../lib/spec';

/** The published schemas (schema/*.json, for editors) are generated from the zod schema: keep them in step. */
describe('published JSON Schemas', () => {
  const read = (f: string) => JSON.parse(readFileSync(path.resolve(__dirname, '../../schema', f), 'utf8'));

  it('schema/mlspec.schema.json is current (regenerate: npx mlspec schema > schema/mlspec.schema.json)', () => {
    expect(read('mlspec.schema.json')).toEqual(specJsonSchema());
  });

  it('schema/releases.schema.json is current (regenerate: npx mlspec schema --releases > schema/releases.schema.json)', () => {
    expect(read('releases.schema.json')).toEqual(releasesJsonSchema());
  });

  it('rejects unknown keys and describes the accelerators', () => {
    const s = specJsonSchema() as any;
    const serving = s.properties.models.additionalProperties.properties.serving;
    expect(serving.additionalProperties).toBe(false);
    expect(serving.properties.resources.properties.accelerator.enum).toContain('A100-80GB');
    expect(s.required).toEqual(['project', 'environments', 'models']);
  });
});
