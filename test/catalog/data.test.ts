import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ACCELERATORS, catalogSources } from '../../lib/catalog';
import azureRegions from '../../lib/catalog/data/azureml-regions.json';
import azureml from '../../lib/catalog/data/azureml-skus.json';
import hosting from '../../lib/catalog/data/sagemaker-hosting-instance-types.json';
import sagemaker from '../../lib/catalog/data/sagemaker-skus.json';
import training from '../../lib/catalog/data/sagemaker-training-regions.json';
import vertexRegions from '../../lib/catalog/data/vertex-regions.json';
import vertex from '../../lib/catalog/data/vertex-skus.json';

const ROOT = path.resolve(__dirname, '../..');
const DATA = path.join(ROOT, 'lib/catalog/data');
const hosted = new Set(Object.values(hosting as Record<string, string[]>).flat());
const purposesOf = (s: { purposes?: string[] }) => s.purposes ?? ['training', 'serving'];

describe('catalog data', () => {
  it('catalogSources lists every JSON data file once, each with a source and a date', () => {
    const sources = catalogSources();
    const files = readdirSync(DATA).filter((f) => f.endsWith('.json'));
    expect(sources.map((s) => path.basename(s.file)).sort()).toEqual(files.sort());
    for (const s of sources) {
      expect(statSync(path.join(ROOT, s.file)).isFile()).toBe(true);
      expect(s.source.length).toBeGreaterThan(20);
      expect(s.date).toMatch(/^20\d\d-\d\d-\d\d$/);
    }
  });

  it('every data file but the copied hosting table carries source, date and notes at the top', () => {
    for (const f of [sagemaker, training, vertex, vertexRegions, azureml, azureRegions] as { source?: string; date?: string; notes?: string[] }[]) {
      expect(typeof f.source).toBe('string');
      expect(f.date).toMatch(/^20\d\d-\d\d-\d\d$/);
      expect(f.notes?.length).toBeGreaterThan(0);
    }
  });

  it('the hosting table is kept with its source note', () => {
    expect(readFileSync(path.join(DATA, 'sagemaker-hosting-instance-types.md'), 'utf8')).toMatch(/Source: .*cfn-lint/);
  });

  it('stays modest in size', () => {
    const total = readdirSync(DATA)
      .filter((f) => f !== 'sagemaker-hosting-instance-types.json')
      .reduce((n, f) => n + statSync(path.join(DATA, f)).size, 0);
    expect(total).toBeLessThan(300 * 1024);
  });

  it('every SageMaker SKU said to serve is in at least one region of the hosting table', () => {
    const serving = sagemaker.skus.filter((s) => purposesOf(s).includes('serving')).map((s) => s.instanceType);
    expect(serving.filter((t) => !hosted.has(t))).toEqual([]);
  });

  it('every SageMaker SKU said to train has training regions, all of them SageMaker regions', () => {
    const regions = new Set(Object.keys(hosting));
    const table = training.instanceTypes as Record<string, string[]>;
    for (const s of sagemaker.skus.filter((s) => purposesOf(s).includes('training'))) {
      expect([s.instanceType, (table[s.instanceType] ?? []).length > 0]).toEqual([s.instanceType, true]);
      expect(table[s.instanceType].filter((r) => !regions.has(r))).toEqual([]);
    }
  });

  it('accelerators in the SKU tables are catalog accelerators', () => {
    const named = [...sagemaker.skus, ...vertex.builtIn, ...azureml.skus, ...Object.values(vertex.attachable)]
      .map((s) => (s as { accelerator?: string }).accelerator)
      .filter((a): a is string => a !== undefined);
    expect(named.filter((a) => !(ACCELERATORS as readonly string[]).includes(a))).toEqual([]);
  });

  it('Vertex GPU regions are Vertex regions, for every accelerator type the SKU table uses', () => {
    const all = new Set(vertexRegions.regions);
    const types = new Set([...vertex.builtIn.map((s) => s.acceleratorType), ...Object.keys(vertex.attachable)]);
    for (const purpose of ['training', 'serving'] as const) {
      const table = vertexRegions.acceleratorRegions[purpose] as Record<string, string[]>;
      for (const t of types) expect([purpose, t, (table[t] ?? []).length > 0]).toEqual([purpose, t, true]);
      expect(Object.values(table).flat().filter((r) => !all.has(r))).toEqual([]);
    }
  });

  it('Azure GPU families have regions, all of them known Azure regions', () => {
    const all = new Set(azureRegions.regions);
    const byFamily = azureRegions.familyRegions as Record<string, string[]>;
    for (const s of azureml.skus.filter((s) => 'accelerator' in s)) expect([s.instanceType, (byFamily[s.family] ?? []).length > 0]).toEqual([s.instanceType, true]);
    expect(Object.values(byFamily).flat().filter((r) => !all.has(r))).toEqual([]);
  });
});
