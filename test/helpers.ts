import { SpecError, formatIssue, loadProjectText, validateProject, type SpecInput, type ReleasesInput } from '../lib/spec';

/** A small valid spec: one model on SageMaker in dev and prod. Tests change one thing at a time. */
export function baseSpec(): SpecInput {
  return {
    project: 'acme',
    environments: {
      dev: { aws: { account: '111111111111', region: 'us-east-1' } },
      prod: { aws: { account: '333333333333', region: 'us-east-1' }, protected: true, promotion: { from: 'dev', minSoak: '24h', approval: 'required' } },
    },
    models: {
      fraud: {
        versions: {
          '7': { artifact: { sagemaker: 's3://acme-models/fraud/7/model.tar.gz' }, metrics: { accuracy: 0.96 } },
          '8': { artifact: { sagemaker: 's3://acme-models/fraud/8/model.tar.gz' }, metrics: { accuracy: 0.97 } },
        },
        registry: { gates: { accuracy: '>= 0.95' } },
        serving: {
          image: { sagemaker: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu' },
          resources: { accelerator: 'T4', count: 1 },
          replicas: { min: 1, max: 4 },
        },
      },
    },
  };
}

export function baseReleases(): ReleasesInput {
  return { dev: { fraud: { traffic: { '8': 100 } } }, prod: { fraud: { traffic: { '7': 100 } } } };
}

/** Formatted errors of a TypeScript spec (path only), or [] when valid. */
export function errorsOf(spec: unknown, releases: unknown = baseReleases()): string[] {
  try {
    validateProject(spec as SpecInput, releases as ReleasesInput);
    return [];
  } catch (e) {
    if (e instanceof SpecError) return e.issues.map(formatIssue);
    throw e;
  }
}

/** Formatted errors of YAML text, with file:line:col. */
export function yamlErrorsOf(specText: string, releasesText?: string): string[] {
  try {
    loadProjectText(specText, 'mlspec.yaml', releasesText, 'releases.yaml');
    return [];
  } catch (e) {
    if (e instanceof SpecError) return e.issues.map(formatIssue);
    throw e;
  }
}

/** Deep clone then edit: `mutate(baseSpec(), s => { s.models.fraud.serving.replicas.min = 9 })`. */
export function mutate<T>(value: T, edit: (draft: any) => void): T {
  const copy = structuredClone(value);
  edit(copy);
  return copy;
}

/** The base spec on Vertex AI too: a gcp block in every environment, an image and artifacts. */
export function withVertex(spec: any) {
  return mutate(spec, (s) => {
    for (const env of Object.values<any>(s.environments)) env.gcp = { project: 'acme-ml-dev', region: 'us-central1' };
    s.models.fraud.serving.image.vertex = 'us-docker.pkg.dev/acme/serve/fraud:1';
    for (const v of Object.values<any>(s.models.fraud.versions)) v.artifact.vertex = 'gs://acme-models/fraud/';
  });
}

/** The base spec on Azure ML too: an azure block in every environment, an image and artifacts. */
export function withAzure(spec: any) {
  return mutate(spec, (s) => {
    for (const env of Object.values<any>(s.environments)) env.azure = { subscription: '00000000-0000-0000-0000-000000000001', resourceGroup: 'ml', workspace: 'acme-dev', region: 'eastus' };
    s.models.fraud.serving.image.azureml = 'acme.azurecr.io/fraud:1';
    for (const v of Object.values<any>(s.models.fraud.versions)) v.artifact.azureml = 'azureml://datastores/models/paths/fraud/';
  });
}

/**
 * One environment on all three clouds, as YAML lines under `environments:`: the AWS account, the
 * Google project `acme-ml-<env>`, and the workspace the fake ARM's clients reach (ml-staging / acme-staging).
 */
export function threeCloudsYaml(env: string, account = '111111111111'): string {
  return [
    `  ${env}:`,
    `    aws:   { account: "${account}", region: us-east-1 }`,
    `    gcp:   { project: acme-ml-${env}, region: us-central1 }`,
    '    azure: { subscription: 00000000-0000-0000-0000-000000000002, resourceGroup: ml-staging, workspace: acme-staging, region: eastus }',
  ].join('\n');
}

/** A model that trains on Vertex AI (weekly) and one on Azure ML, in one environment. */
export const TRAINING_SPEC = `project: acme
environments:
  dev:
    aws:   { account: "111111111111", region: us-east-1 }
    gcp:   { project: acme-ml-dev, region: us-central1, workloadIdentityProvider: projects/1/locations/global/workloadIdentityPools/aws/providers/aws, serviceAccount: deployer@acme-ml-dev.iam.gserviceaccount.com }
    azure: { subscription: 00000000-0000-0000-0000-000000000002, resourceGroup: ml-staging, workspace: acme-staging, region: eastus }
models:
  ranker:
    providers: [vertex]
    training:
      image: { vertex: us-docker.pkg.dev/acme/train/ranker:4 }
      command: [python, train.py]
      hyperparameters: { epochs: 10 }
      inputs:
        train: { vertex: gs://acme-data/ranker/train/ }
      output: { vertex: gs://acme-models/ranker }
      resources: { accelerator: A100, count: 1 }
      maxRuntime: 2h
      schedule: weekly
      metrics: { ndcg: "ndcg=([0-9.]+)" }
    registry: { gates: { ndcg: ">= 0.7" } }
    serving:
      image: { vertex: us-docker.pkg.dev/acme/serve/ranker:1 }
      resources: { accelerator: T4, count: 1 }
  scorer:
    providers: [azureml]
    training:
      image: { azureml: acme.azurecr.io/train/scorer:2 }
      command: [python, train.py]
      inputs:
        train: { azureml: azureml://datastores/data/paths/scorer/train/ }
      output: { azureml: azureml://datastores/models/paths/scorer/ }
      resources: { accelerator: A100, count: 8 }
      maxRuntime: 2h
      metrics: { auc: "auc=([0-9.]+)" }
    registry: { gates: { auc: ">= 0.8" } }
    serving:
      image: { azureml: acme.azurecr.io/serve/scorer:1 }
      resources: { accelerator: T4, count: 1 }
`;
