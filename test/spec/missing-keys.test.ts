import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { formatPath, releasesSchema, specSchema } from '../../lib/spec';
import { errorsOf, yamlErrorsOf } from '../helpers';

/**
 * Every required key of mlspec.yaml and releases.yaml, deleted one at a time from the bundled
 * example: the one error says the key is missing and what it may be, at the parent map's key.
 */
const EXAMPLES = path.resolve(__dirname, '../../examples');

/**
 * Sections added to the copy of the example where it lacks the parent of a required key
 * (path → value). The example has every one today; a new optional section with required keys
 * inside gets an entry here.
 */
const EXTRA_SECTIONS: Record<'spec' | 'releases', [path: string[], value: unknown][]> = {
  // The bundled example does not monitor yet (cdk deploy does not declare monitors).
  spec: [[['models', 'fraud-detector', 'serving', 'monitoring'], { schedule: 'daily', baseline: { trainingInput: 'train' } }]],
  releases: [],
};

function example(file: 'spec' | 'releases'): string {
  const doc = parseDocument(readFileSync(path.join(EXAMPLES, file === 'spec' ? 'mlspec.yaml' : 'releases.yaml'), 'utf8'));
  for (const [at, value] of EXTRA_SECTIONS[file]) doc.setIn(at, value);
  return doc.toString({ lineWidth: 0 });
}
const SPEC_TEXT = example('spec');
const RELEASES_TEXT = example('releases');

const IMAGES = 'a map of container image URIs by provider (sagemaker, vertex, azureml)';
const URIS = 'a map of storage URIs by provider (sagemaker: s3://..., vertex: gs://..., azureml: azureml://...)';

/** Required key (`*` for any map key) → what the message asks for: `missing; add ${expected} here`. */
const EXPECTED: Record<'spec' | 'releases', Record<string, string>> = {
  spec: {
    project: 'a project name (2-20 lowercase letters, digits or dashes, starting with a letter)',
    environments: 'a map from environment name to its clouds (such as dev: { aws: { account: "111111111111", region: us-east-1 } })',
    'environments.*.aws.account': 'an AWS account ID (12 digits, quoted, such as "111111111111")',
    'environments.*.aws.region': 'an AWS region (such as us-east-1)',
    'environments.*.gcp.project': 'a Google Cloud project ID (6-30 lowercase letters, digits or dashes)',
    'environments.*.gcp.region': 'a Google Cloud region (such as us-central1)',
    'environments.*.azure.subscription': 'an Azure subscription ID (a GUID such as 00000000-0000-0000-0000-000000000001)',
    'environments.*.azure.resourceGroup': 'an Azure resource group name (such as ml-dev)',
    'environments.*.azure.workspace': 'an Azure ML workspace name (3-33 letters, digits, dashes or underscores)',
    'environments.*.azure.region': 'an Azure region (such as eastus)',
    'environments.*.promotion.from': 'the environment versions come from (such as staging)',
    models: 'a map from model name to its training, registry, versions and serving',
    'models.*.training.image': IMAGES,
    'models.*.training.output': URIS,
    'models.*.training.resources': 'a map with accelerator and count (such as { accelerator: A100, count: 8 }) or instanceType by provider',
    'models.*.training.spot.maxWait': 'a duration (such as 90s, 10m, 12h or 2d)',
    'models.*.training.tuning.objective': 'a map with metric and goal (such as { metric: val_f1, goal: maximize })',
    'models.*.training.tuning.objective.metric': 'a metric name from training.metrics (such as val_f1)',
    'models.*.training.tuning.objective.goal': 'one of maximize, minimize',
    'models.*.training.tuning.parameters': 'a map from hyperparameter name to its range (such as lr: { min: 1.0e-5, max: 1.0e-2 })',
    'models.*.training.tuning.maxTrials': 'a whole number from 1 to 500',
    'models.*.versions.*.artifact': URIS,
    'models.*.serving.image': IMAGES,
    'models.*.serving.resources': 'a map with accelerator and count (such as { accelerator: T4, count: 1 }) or instanceType by provider',
    'models.*.serving.autoscaling.metric': 'one of invocations, gpu',
    'models.*.serving.autoscaling.target': 'a number above 0 (invocations per replica per minute, or GPU utilisation in percent)',
    'models.*.serving.rollout.strategy': 'one of all-at-once, canary, linear',
    'models.*.serving.dataCapture.percent': 'a whole number from 1 to 100',
    'models.*.serving.monitoring.schedule': 'a monitoring schedule (hourly, daily, rate(6 hours) or cron(0 3 ? * * *))',
    'models.*.serving.monitoring.baseline': 'a map of training data URIs by provider (sagemaker: s3://..., vertex: gs://..., azureml: azureml://...), or { trainingInput: <channel of training.inputs> }',
  },
  releases: {
    '*.*.traffic': 'a map from version label to percent of traffic (such as { "7": 100 })',
    '*.*.shadow.version': 'a version label (such as "7" or "2024-06")',
    '*.*.shadow.percent': 'a whole number from 1 to 100',
  },
};

type Def = { type: string; shape?: Record<string, z.ZodType>; valueType?: z.ZodType; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType) => s._zod.def as unknown as Def;

function unwrap(s: z.ZodType): z.ZodType {
  const def = defOf(s);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe') return unwrap(def.in!);
  return s;
}

/** Every key a user must write, as patterns (`models.*.serving.autoscaling.metric`), by walking the zod schema. */
function requiredKeys(schema: z.ZodType, prefix: string[] = [], out: string[][] = []): string[][] {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') {
    for (const [key, value] of Object.entries(def.shape!)) {
      if (!value.isOptional()) out.push([...prefix, key]);
      requiredKeys(value, [...prefix, key], out);
    }
  } else if (def.type === 'record') {
    requiredKeys(def.valueType!, [...prefix, '*'], out);
  } else if (def.type === 'array' || def.type === 'union') {
    // Lists hold no objects in this spec; maps (env's per-provider variables) are walked. An object among
    // alternatives (monitoring.baseline's { trainingInput }) has no required key of the spec: the other
    // alternative may be the one written, and the union's own expectation names both.
    const inner = def.type === 'array' ? [def.element!] : def.options!;
    for (const s of inner) {
      const type = defOf(unwrap(s)).type;
      if (type === 'record') requiredKeys(s, prefix, out);
      else if (def.type === 'array') expect(type).not.toBe('object');
    }
  }
  return out;
}

/** The first place in `data` that matches the pattern (map keys in document order). */
function concrete(data: unknown, pattern: string[]): string[] | undefined {
  if (pattern.length === 0) return [];
  if (data === null || typeof data !== 'object') return undefined;
  const [head, ...rest] = pattern;
  const keys = head === '*' ? Object.keys(data) : head in data ? [head] : [];
  for (const key of keys) {
    const tail = concrete((data as Record<string, unknown>)[key], rest);
    if (tail) return [key, ...tail];
  }
  return undefined;
}

/** Where the loader puts a missing key: the key of the map that should hold it (top level: the first key). */
function parentPosition(text: string, parent: string[]): string {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  let node: unknown = doc.contents;
  let offset = (node as Node).range![0];
  for (const seg of parent) {
    expect(isMap(node)).toBe(true);
    const pair = ((node as { items: Pair[] }).items).find((p) => String((p.key as { value: unknown }).value) === seg)!;
    offset = (pair.key as Node).range![0];
    node = pair.value;
  }
  const { line, col } = lineCounter.linePos(offset);
  return `${line}:${col}`;
}

interface Case {
  readonly file: 'spec' | 'releases';
  readonly pattern: string;
  readonly path: string[];
}

function cases(file: 'spec' | 'releases'): Case[] {
  const schema = (file === 'spec' ? specSchema : releasesSchema) as unknown as z.ZodType;
  const text = file === 'spec' ? SPEC_TEXT : RELEASES_TEXT;
  const data = parseDocument(text).toJS();
  return requiredKeys(schema).map((pattern) => {
    const at = concrete(data, pattern);
    if (at === undefined) throw new Error(`examples/${file === 'spec' ? 'mlspec' : 'releases'}.yaml has no ${pattern.join('.')}; add its parent to EXTRA_SECTIONS`);
    return { file, pattern: pattern.join('.'), path: at };
  });
}

const ALL = [...cases('spec'), ...cases('releases')];

describe('missing required keys', () => {
  it('the example (with any extra sections) is valid', () => {
    expect(yamlErrorsOf(SPEC_TEXT, RELEASES_TEXT)).toEqual([]);
  });

  it('every required key of the schema has its expected message, and no other', () => {
    expect(ALL.filter((c) => c.file === 'spec').map((c) => c.pattern).sort()).toEqual(Object.keys(EXPECTED.spec).sort());
    expect(ALL.filter((c) => c.file === 'releases').map((c) => c.pattern).sort()).toEqual(Object.keys(EXPECTED.releases).sort());
  });

  it.each(ALL.map((c) => [`${c.file}: ${c.pattern}`, c] as const))('%s', (_name, c) => {
    const expected = `missing; add ${EXPECTED[c.file][c.pattern]} here`;
    // What would be right, never zod's "undefined", never a bare type ("add text here").
    expect(expected).not.toContain('undefined');
    expect(expected).not.toMatch(/^missing; add (text|a map|a map of keys|a number|a list) here$/);

    const original = c.file === 'spec' ? SPEC_TEXT : RELEASES_TEXT;
    const doc = parseDocument(original);
    doc.deleteIn(c.path);
    const text = doc.toString({ lineWidth: 0 }); // no folding: every other line stays where it was
    const spec = c.file === 'spec' ? text : SPEC_TEXT;
    const releases = c.file === 'releases' ? text : RELEASES_TEXT;
    const file = c.file === 'spec' ? 'mlspec.yaml' : 'releases.yaml';
    const where = parentPosition(text, c.path.slice(0, -1));
    expect(yamlErrorsOf(spec, releases)).toEqual([`${file}:${where}  ${formatPath(c.path)}: ${expected}`]);

    // The same mistake in a TypeScript spec gets the same message, with the path only.
    const specData = parseDocument(spec).toJS();
    const releasesData = parseDocument(releases).toJS();
    expect(errorsOf(specData, releasesData)).toEqual([`${formatPath(c.path)}: ${expected}`]);
  });

  it('a key given as undefined in TypeScript is missing too', () => {
    const specData = parseDocument(SPEC_TEXT).toJS();
    specData.models['fraud-detector'].serving.autoscaling.metric = undefined;
    expect(errorsOf(specData, parseDocument(RELEASES_TEXT).toJS())).toEqual(['models.fraud-detector.serving.autoscaling.metric: missing; add one of invocations, gpu here']);
  });
});
