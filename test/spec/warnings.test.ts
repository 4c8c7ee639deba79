import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run } from '../../bin/mlspec';
import { resolvePlan } from '../../lib/plan';
import { formatIssue, formatSpecError, formatWarnings, loadProjectText, SpecError, validateProject, type LoadedProject } from '../../lib/spec';
import { baseReleases, baseSpec, mutate, withAzure } from '../helpers';

/**
 * Warnings: what the spec asks for may be fine, but mlspec cannot confirm it. Today that is a pinned SKU
 * (resources.instanceType.<provider>) in a region that a region table calling itself a conservative subset does
 * not list: Azure ML's tables, Vertex's H100 Mega regions, SageMaker's training regions.
 */

const ROOT = path.resolve(__dirname, '../..');

const AZURE_SPEC = (region: string, resources: string) => `project: acme
environments:
  dev:
    azure: { subscription: 00000000-0000-0000-0000-000000000001, resourceGroup: ml, workspace: acme-dev, region: ${region} }
models:
  x:
    versions:
      "1": { artifact: { azureml: azureml://datastores/models/paths/x/ } }
    serving:
      image: { azureml: acme.azurecr.io/x:1 }
      resources:
        ${resources}
`;
const RELEASES = 'dev:\n  x: { traffic: { "1": 100 } }\n';
const PINNED = 'instanceType: { azureml: Standard_NC24ads_A100_v4 }';

function load(spec: string, releases = RELEASES): LoadedProject {
  return loadProjectText(spec, 'mlspec.yaml', releases, 'releases.yaml');
}

function specErrorOf(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error('expected a SpecError');
}

describe('warnings', () => {
  describe('a pinned SKU in a region a conservative table does not list', () => {
    it('Azure ML: the spec is valid and the warning names the size, the region and what to check', () => {
      const project = load(AZURE_SPEC('centralus', PINNED));
      expect(project.warnings!.map(formatIssue)).toEqual([
        "mlspec.yaml:12:34  models.x.serving.resources.instanceType.azureml: warning: Standard_NC24ads_A100_v4 is not in mlspec's table for centralus (a conservative subset of Azure's regions); deploying anyway — check the region offers it",
      ]);
    });

    it('Azure ML: a region missing from the Azure ML region list itself, for a CPU size', () => {
      const project = load(AZURE_SPEC('newzealandnorth', 'instanceType: { azureml: Standard_DS3_v2 }'));
      expect(project.warnings!.map(formatIssue)).toEqual([
        "mlspec.yaml:12:34  models.x.serving.resources.instanceType.azureml: warning: Standard_DS3_v2 is not in mlspec's table for newzealandnorth (a conservative subset of Azure's regions); deploying anyway — check the region offers it",
      ]);
    });

    it('no warning where the table lists the region', () => {
      expect(load(AZURE_SPEC('eastus', PINNED)).warnings).toEqual([]);
      expect(load(AZURE_SPEC('eastus', 'accelerator: T4')).warnings).toEqual([]);
    });

    it('Vertex AI: a3-megagpu-8g, whose region list is a conservative subset of the H100 regions', () => {
      const spec = mutate(baseSpec(), (s) => {
        s.environments.dev.gcp = { project: 'acme-ml-dev', region: 'us-east1' };
        s.environments.prod.gcp = { project: 'acme-ml-prod', region: 'us-central1' };
        s.models.fraud.providers = ['vertex'];
        s.models.fraud.serving.image = { vertex: 'us-docker.pkg.dev/acme/serve/fraud:1' };
        s.models.fraud.serving.resources = { instanceType: { vertex: 'a3-megagpu-8g' } };
        for (const v of Object.values<any>(s.models.fraud.versions)) v.artifact = { vertex: 'gs://acme-models/fraud/' };
      });
      expect(validateProject(spec, baseReleases()).warnings!.map(formatIssue)).toEqual([
        "models.fraud.serving.resources.instanceType.vertex: warning: a3-megagpu-8g is not in mlspec's table for us-east1 (a conservative subset of Vertex AI's regions); deploying anyway — check the region offers it",
      ]);
    });

    it("SageMaker: a training type in a region its training table does not list (that table is derived, and a subset)", () => {
      const spec = mutate(baseSpec(), (s) => {
        s.models.fraud.training = {
          image: { sagemaker: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu' },
          output: { sagemaker: 's3://acme-models/fraud/' },
          resources: { instanceType: { sagemaker: 'ml.p5e.48xlarge' } },
          metrics: { accuracy: 'acc=([0-9.]+)' },
        };
      });
      expect(validateProject(spec, baseReleases()).warnings!.map(formatIssue)).toEqual([
        "models.fraud.training.resources.instanceType.sagemaker: warning: ml.p5e.48xlarge is not in mlspec's table for us-east-1 (a conservative subset of SageMaker's regions); deploying anyway — check the region offers it",
      ]);
    });

    it('SageMaker serving keeps its error: the hosting table is the authority, not a subset', () => {
      const spec = mutate(baseSpec(), (s) => {
        s.environments.dev.aws.region = 'af-south-1';
        s.models.fraud.serving.resources = { instanceType: { sagemaker: 'ml.p5.48xlarge' } };
      });
      const e = specErrorOf(() => validateProject(spec, baseReleases()));
      expect(e.issues.map(formatIssue)[0]).toMatch(/^models\.fraud\.serving\.resources\.instanceType\.sagemaker: sagemaker offers no ml\.p5\.48xlarge for serving in af-south-1 \(environment dev\); regions that have it: /);
      expect(e.warnings).toEqual([]);
    });

    it('an unknown SKU name is still an error, not a warning', () => {
      const e = specErrorOf(() => load(AZURE_SPEC('centralus', 'instanceType: { azureml: Standard_NC24ads_A100_v9 }')));
      expect(e.issues.map(formatIssue)).toEqual([
        'mlspec.yaml:12:34  models.x.serving.resources.instanceType.azureml: azureml has no instance type "Standard_NC24ads_A100_v9" for serving; similar ones: Standard_NC24ads_A100_v4, Standard_NC48ads_A100_v4, Standard_NC96ads_A100_v4, Standard_NC40ads_H100_v5, Standard_NC80adis_H100_v5',
      ]);
      expect(e.warnings).toEqual([]);
    });

    it('the plan deploys the pinned size there, priced at the reference region', () => {
      const plan = resolvePlan(load(AZURE_SPEC('centralus', PINNED)));
      const azure = plan.environments[0].models[0].azureml!;
      expect(JSON.stringify(azure)).toContain('"instanceType":"Standard_NC24ads_A100_v4"');
      expect(azure.cost.unpriced).toEqual([]);
    });
  });

  it('resolving an accelerator where a conservative table is silent stays an error, and names the override', () => {
    const e = specErrorOf(() => load(AZURE_SPEC('centralus', 'accelerator: A100-80GB')));
    expect(e.issues.map(formatIssue)).toEqual([
      "mlspec.yaml:12:22  models.x.serving.resources.accelerator: azureml offers no Standard_NC24ads_A100_v4 for serving in centralus that mlspec knows of (environment dev); regions in mlspec's table: australiaeast, eastus, eastus2, japaneast, southcentralus, swedencentral, uksouth, westeurope and 2 more. The table is a conservative subset of Azure's regions: if centralus has it, set resources.instanceType.azureml: Standard_NC24ads_A100_v4 to deploy there anyway",
    ]);
  });

  describe('printing', () => {
    it('formatWarnings: one line each, nothing when there are none', () => {
      const w = { file: 'mlspec.yaml', line: 41, col: 9, path: 'models.x.serving.resources.instanceType.azureml', message: 'm', severity: 'warning' as const };
      expect(formatWarnings([w, { ...w, line: 50 }])).toBe('mlspec.yaml:41:9  models.x.serving.resources.instanceType.azureml: warning: m\nmlspec.yaml:50:9  models.x.serving.resources.instanceType.azureml: warning: m\n');
      expect(formatWarnings([])).toBe('');
    });

    it('a rejected spec lists its errors and warnings in file order, then counts both', () => {
      const spec = AZURE_SPEC('centralus', PINNED).replace('      image:', '      replicas: { min: 3, max: 1 }\n      image:');
      const e = specErrorOf(() => load(spec));
      expect(formatSpecError(e)).toBe(
        'mlspec.yaml:10:24  models.x.serving.replicas.min: min (3) is more than max (1); make min ≤ max\n' +
          "mlspec.yaml:13:34  models.x.serving.resources.instanceType.azureml: warning: Standard_NC24ads_A100_v4 is not in mlspec's table for centralus (a conservative subset of Azure's regions); deploying anyway — check the region offers it\n" +
          '1 error, 1 warning\n',
      );
    });

    it('without warnings a rejected spec prints as before', () => {
      const e = specErrorOf(() => load(AZURE_SPEC('eastus', PINNED).replace('      image:', '      replicas: { min: 3, max: 1 }\n      image:')));
      expect(formatSpecError(e)).toBe('mlspec.yaml:10:24  models.x.serving.replicas.min: min (3) is more than max (1); make min ≤ max\n1 error\n');
    });
  });

  describe('the CLI and the CDK app', () => {
    function project(spec: string): string {
      const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-warn-'));
      writeFileSync(path.join(dir, 'mlspec.yaml'), spec);
      writeFileSync(path.join(dir, 'releases.yaml'), RELEASES);
      return dir;
    }
    async function cli(dir: string, ...args: string[]) {
      let out = '';
      let err = '';
      const code = await run([...args, '--spec', 'mlspec.yaml', '--releases', 'releases.yaml'], { out: (t) => (out += t), err: (t) => (err += t), cwd: dir });
      return { code, out, err };
    }
    const WARNING =
      "mlspec.yaml:12:34  models.x.serving.resources.instanceType.azureml: warning: Standard_NC24ads_A100_v4 is not in mlspec's table for centralus (a conservative subset of Azure's regions); deploying anyway — check the region offers it\n";

    it('mlspec validate prints warnings on stderr and exits 0', async () => {
      const r = await cli(project(AZURE_SPEC('centralus', PINNED)), 'validate');
      expect(r).toEqual({ code: 0, out: 'mlspec.yaml: valid (1 model(s), 1 environment(s), 1 release(s))\n', err: WARNING });
    });

    it('mlspec validate exits 1 on errors, with the warnings among them', async () => {
      const r = await cli(project(AZURE_SPEC('centralus', PINNED).replace('      image:', '      replicas: { min: 3, max: 1 }\n      image:')), 'validate');
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toBe(`mlspec.yaml:10:24  models.x.serving.replicas.min: min (3) is more than max (1); make min ≤ max\n${WARNING.replace(':12:34', ':13:34')}1 error, 1 warning\n`);
    });

    it('mlspec plan prints them too, and plans', async () => {
      const r = await cli(project(AZURE_SPEC('centralus', PINNED)), 'plan', '--json');
      expect(r.code).toBe(0);
      expect(r.err).toBe(WARNING);
      expect(JSON.parse(r.out).environments[0].models[0].azureml).toBeDefined();
    });

    it('cdk synth prints them on stderr and synthesizes, the pinned size in the template', () => {
      // An AWS account to synthesize the stack in; the model serves on Azure ML only.
      const spec = AZURE_SPEC('centralus', PINNED)
        .replace('  dev:\n', '  dev:\n    aws: { account: "111111111111", region: us-east-1 }\n')
        .replace('  x:\n', '  x:\n    providers: [azureml]\n');
      const dir = project(spec);
      const out = mkdtempSync(path.join(tmpdir(), 'mlspec-warn-synth-'));
      const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'bin/app.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ spec: path.join(dir, 'mlspec.yaml') }) },
      });
      expect(r.status).toBe(0);
      // A file outside the working directory is named by its absolute path, as mlspec validate does.
      expect(r.stderr).toBe(`${dir}/${WARNING.replace(':12:34', ':14:34')}`);
      expect(readdirSync(out).filter((f) => f.endsWith('.template.json'))).toContain('acme-x-dev.template.json');
      expect(readFileSync(path.join(out, 'acme-x-dev.template.json'), 'utf8')).toContain('Standard_NC24ads_A100_v4');
    }, 60_000);
  });

  it("docs/SPEC.md's example is the message mlspec prints", () => {
    const doc = readFileSync(path.join(ROOT, 'docs/SPEC.md'), 'utf8');
    const message = formatIssue(load(AZURE_SPEC('centralus', PINNED)).warnings![0]).replace(/^mlspec\.yaml:\d+:\d+ {2}/, '');
    expect(doc).toContain(`mlspec.yaml:41:9  ${message}`);
  });

  it('a TypeScript spec gets the same warnings, by path', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => {
      s.environments.dev.azure.region = 'centralus';
      s.models.fraud.providers = ['azureml'];
      s.models.fraud.serving.resources = { instanceType: { azureml: 'Standard_NC24ads_A100_v4' } };
    });
    expect(validateProject(spec, baseReleases()).warnings!.map(formatIssue)).toEqual([
      "models.fraud.serving.resources.instanceType.azureml: warning: Standard_NC24ads_A100_v4 is not in mlspec's table for centralus (a conservative subset of Azure's regions); deploying anyway — check the region offers it",
    ]);
  });
});
