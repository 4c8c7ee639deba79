import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe("constructs/README.md's first example", () => {
  it('runs as written (its ./constructs import pointed at this checkout) and synthesizes the registry and the endpoint', () => {
    const readme = readFileSync(path.join(ROOT, 'constructs', 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(block).toContain("from './constructs'");
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlspec-constructs-readme-'));
    writeFileSync(path.join(dir, 'app.ts'), block!.replace("'./constructs'", JSON.stringify(path.join(ROOT, 'constructs'))));
    const out = path.join(dir, 'cdk.out');
    // CDK_OUTDIR makes the App synthesize on exit, as under `cdk synth`; the user's node_modules are this checkout's (NODE_PATH).
    execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), 'app.ts'], {
      cwd: dir,
      env: { ...process.env, CDK_OUTDIR: out, NODE_PATH: path.join(ROOT, 'node_modules') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    expect(readdirSync(out).filter((f) => f.endsWith('.template.json'))).toEqual(['FraudServing.template.json']);
    const template = JSON.parse(readFileSync(path.join(out, 'FraudServing.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };
    const of = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);

    // The endpoint: its fixed name, and a model of the ECR image with the S3 artifact.
    expect(of('AWS::SageMaker::Endpoint').map((r) => r.Properties?.EndpointName)).toEqual(['acme-fraud-detector-dev']);
    expect(of('AWS::SageMaker::Model').map((r) => r.Properties?.PrimaryContainer)).toEqual([{
      Image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu',
      ModelDataUrl: 's3://acme-models/fraud/7/model.tar.gz',
    }]);
    const [config] = of('Custom::SageMakerEndpointConfig');
    expect(config.Properties?.EndpointConfigName).toMatch(/^acme-fraud-detector-dev-[0-9a-f]{10}$/);

    // The registry: the group, and version 7 with the same image and artifact.
    expect(of('Custom::SageMakerModelPackageGroup').map((r) => JSON.parse(r.Properties?.Group).name)).toEqual(['acme-fraud-detector']);
    const versions = of('Custom::SageMakerModelVersion').map((r) => JSON.parse(r.Properties?.Version));
    expect(versions).toEqual([expect.objectContaining({
      group: 'acme-fraud-detector',
      label: '7',
      image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu',
      modelDataUrl: 's3://acme-models/fraud/7/model.tar.gz',
      metadata: { 'mlspec:version': '7', 'metric:f1': '0.913' },
    })]);
  });
});

/** Runs the constructs/README.md ```ts block that contains `marker` in a temp project holding the example spec; returns its templates. */
function runBlock(marker: string): Record<string, { Resources: Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, any> }> }> {
  const { copyFileSync } = require('node:fs') as typeof import('node:fs');
  const readme = readFileSync(path.join(ROOT, 'constructs', 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes(marker));
  expect(block).toBeDefined();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlspec-constructs-readme-'));
  for (const f of ['mlspec.yaml', 'releases.yaml']) copyFileSync(path.join(ROOT, 'examples', f), path.join(dir, f));
  writeFileSync(path.join(dir, 'app.ts'), block!.replace("'@mlspec/cdk'", JSON.stringify(path.join(ROOT, 'index.ts'))));
  const out = path.join(dir, 'cdk.out');
  execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), 'app.ts'], {
    cwd: dir,
    env: { ...process.env, CDK_OUTDIR: out, NODE_PATH: path.join(ROOT, 'node_modules') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return Object.fromEntries(readdirSync(out).filter((f) => f.endsWith('.template.json')).map((f) => [f, JSON.parse(readFileSync(path.join(out, f), 'utf8'))]));
}

describe("constructs/README.md's project examples", () => {
  it('a ModelStack from MlspecProject.fromFiles, with removalPolicy RETAIN, keeps the endpoint in an unprotected environment', () => {
    const templates = runBlock('new ModelStack(app');
    expect(Object.keys(templates)).toEqual(['RankerDev.template.json']);
    const endpoints = Object.values(templates['RankerDev.template.json'].Resources).filter((r) => r.Type === 'AWS::SageMaker::Endpoint');
    expect(endpoints.map((r) => [r.Properties?.EndpointName, r.DeletionPolicy])).toEqual([['acme-search-ranker-dev', 'Retain']]);
  });

  it('VertexModel and AzureMlModel in a stack of your own, with RETAIN and the given identities', () => {
    const templates = runBlock('new VertexModel(stack');
    const resources = Object.values(templates['Models.template.json'].Resources);
    const vertex = resources.filter((r) => r.Type === 'Custom::VertexModel').map((r) => r.Properties!);
    expect(vertex.map((p) => [p.Model, p.Environment, p.Protected, p.ServiceAccount])).toEqual([['search-ranker', 'prod', 'true', 'mlspec-deploy@acme-ml-prod.iam.gserviceaccount.com']]);
    const azure = resources.filter((r) => r.Type === 'Custom::AzureMlModel').map((r) => r.Properties!);
    expect(azure.map((p) => [p.Model, p.Environment, p.TenantId, p.ClientId])).toEqual([['fraud-detector', 'prod', '11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222']]);
  });
});

describe("constructs/README.md's importers example", () => {
  it('runs as written and names each deployed resource in the consumer stack, creating none', () => {
    const templates = runBlock('fromEndpointName(consumer');
    const t = templates['Consumer.template.json'] as unknown as { Resources?: Record<string, unknown>; Outputs: Record<string, { Value: unknown }> };
    expect(Object.keys(t.Resources ?? {}).filter((id) => id !== 'CDKMetadata')).toEqual([]);
    const value = (name: string) => JSON.stringify(t.Outputs[name].Value);
    expect(value('FraudEndpoint')).toContain(':sagemaker:us-east-1:111111111111:endpoint/acme-fraud-detector-prod');
    expect(value('FraudRegistry')).toContain(':sagemaker:us-east-1:111111111111:model-package-group/acme-fraud-detector');
    expect(value('FraudTraining')).toContain(':sagemaker:us-east-1:111111111111:pipeline/acme-fraud-detector-prod');
    expect(value('FraudMonitor')).toContain(':sagemaker:us-east-1:111111111111:monitoring-schedule/acme-fraud-detector-prod-data-quality');
    expect(t.Outputs.RankerEndpoint.Value).toBe('projects/acme-ml-prod/locations/us-central1/endpoints/1234567890');
    expect(t.Outputs.AssistantScoring.Value).toBe('https://acme-support-assistant-prod.eastus.inference.ml.azure.com/score');
  });
});
