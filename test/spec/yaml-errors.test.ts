import { yamlErrorsOf } from '../helpers';

/** YAML input: errors carry file:line:col of the offending key or value. */
const SPEC = `project: acme
environments:
  dev:
    aws: { account: "111111111111", region: us-east-1 }
models:
  fraud:
    versions:
      "7": { artifact: { sagemaker: s3://m/7/model.tar.gz }, metrics: { accuracy: 0.96 } }
    serving:
      image: { sagemaker: 1.dkr.ecr.us-east-1.amazonaws.com/x:1 }
      resources: { accelerator: T4 }
      replicas: { min: 1, max: 2 }
`;

const RELEASES = `dev:
  fraud: { traffic: { "7": 100 } }
`;

describe('YAML specs', () => {
  it('accepts the valid base', () => {
    expect(yamlErrorsOf(SPEC, RELEASES)).toEqual([]);
  });

  it('points at an unknown key and suggests the right one', () => {
    const text = SPEC.replace('      replicas: { min: 1, max: 2 }', '      replica: { min: 1, max: 2 }');
    expect(yamlErrorsOf(text, RELEASES)).toEqual(['mlspec.yaml:12:7  models.fraud.serving.replica: unknown key "replica"; did you mean "replicas"?']);
  });

  it('lists the allowed keys when nothing is close', () => {
    const text = SPEC.replace('      replicas: { min: 1, max: 2 }', '      gpuCount: 3');
    expect(yamlErrorsOf(text, RELEASES)).toEqual([
      'mlspec.yaml:12:7  models.fraud.serving.gpuCount: unknown key "gpuCount"; expected one of image, server, container, env, resources, replicas, autoscaling, rollout, rollback, dataCapture, monitoring',
    ]);
  });

  it('reports a value of the wrong type at the value', () => {
    const text = SPEC.replace('min: 1, max: 2', 'min: one, max: 2');
    expect(yamlErrorsOf(text, RELEASES)).toEqual(['mlspec.yaml:12:24  models.fraud.serving.replicas.min: the text "one" is not allowed here; expected a number']);
  });

  it('reports a missing required key at its parent', () => {
    const text = SPEC.replace('      image: { sagemaker: 1.dkr.ecr.us-east-1.amazonaws.com/x:1 }\n', '');
    expect(yamlErrorsOf(text, RELEASES)).toEqual(['mlspec.yaml:9:5  models.fraud.serving.image: missing; add a map of container image URIs by provider (sagemaker, vertex, azureml) here']);
  });

  it('says a missing enum key is missing and lists its values, at the parent map', () => {
    const text = SPEC.replace('      replicas: { min: 1, max: 2 }\n', '      replicas: { min: 1, max: 2 }\n      autoscaling: { target: 100 }\n');
    expect(yamlErrorsOf(text, RELEASES)).toEqual(['mlspec.yaml:13:7  models.fraud.serving.autoscaling.metric: missing; add one of invocations, gpu here']);
  });

  it('says a missing number is missing and gives its range', () => {
    const text = SPEC.replace('      replicas: { min: 1, max: 2 }\n', '      replicas: { min: 1, max: 2 }\n      dataCapture: {}\n');
    expect(yamlErrorsOf(text, RELEASES)).toEqual(['mlspec.yaml:13:7  models.fraud.serving.dataCapture.percent: missing; add a whole number from 1 to 100 here']);
  });

  it('suggests the accelerator name for a typo', () => {
    const text = SPEC.replace('accelerator: T4', 'accelerator: A10OG');
    expect(yamlErrorsOf(text, RELEASES)).toEqual(['mlspec.yaml:11:33  models.fraud.serving.resources.accelerator: "A10OG" is not allowed; did you mean "A10G"?']);
  });

  it('asks for a quoted account ID', () => {
    const text = SPEC.replace('account: "111111111111"', 'account: 111111111111');
    expect(yamlErrorsOf(text, RELEASES)).toEqual([
      'mlspec.yaml:4:21  environments.dev.aws.account: 111111111111 must be a quoted string of 12 digits, such as "111111111111" (unquoted numbers lose leading zeros)',
    ]);
  });

  it('reports broken YAML with its position and nothing else', () => {
    const errors = yamlErrorsOf('project: acme\nenvironments: {dev: [\n', RELEASES);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/^mlspec\.yaml:3:1  \(top level\): not valid YAML: Flow (sequence|map) in block collection must be sufficiently indented and end with a [\]}]$/);
  });

  it('reports a duplicate key', () => {
    const errors = yamlErrorsOf(`${SPEC}project: other\n`, RELEASES);
    expect(errors).toEqual(['mlspec.yaml:13:1  (top level): not valid YAML: Map keys must be unique']);
  });

  it('reports every error of both files at once, sorted by file and line', () => {
    const spec = SPEC.replace('min: 1, max: 2', 'min: 3, max: 2').replace('accelerator: T4', 'accelerator: T5');
    const releases = RELEASES.replace('"7": 100', '"7": 90');
    expect(yamlErrorsOf(spec, releases)).toEqual([
      'mlspec.yaml:11:33  models.fraud.serving.resources.accelerator: "T5" is not allowed; did you mean "T4"?',
      'releases.yaml:2:12  dev.fraud.traffic: percentages add up to 90; they must add up to 100',
    ]);
  });

  it('positions release errors in releases.yaml', () => {
    const releases = `dev:\n  fraud: { traffic: { "7": 100 } }\nstaging:\n  fraud: { traffic: { "7": 100 } }\n`;
    expect(yamlErrorsOf(SPEC, releases)).toEqual(['releases.yaml:3:1  staging: environment "staging" is not declared in the spec; expected one of dev']);
  });

  it('takes unquoted version labels', () => {
    const spec = SPEC.replace('"7": {', '7: {');
    expect(yamlErrorsOf(spec, 'dev:\n  fraud: { traffic: { 7: 100 } }\n')).toEqual([]);
  });

  it('rejects an invalid version label key at the key', () => {
    const spec = SPEC.replace('"7": {', '"V 7": {');
    expect(yamlErrorsOf(spec, RELEASES)[0]).toBe(
      'mlspec.yaml:8:7  models.fraud.versions."V 7": "V 7" is not a valid version label; use up to 16 lowercase letters, digits or dashes, such as "7" or "2024-06"',
    );
  });
});
