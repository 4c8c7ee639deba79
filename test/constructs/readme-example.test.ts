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
