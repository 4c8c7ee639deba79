import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModelStack } from '../../constructs';
import { formatPlan, resolvePlan, type ModelPlan } from '../../lib/plan';
import { reconcileAzureMl } from '../../lib/providers/azureml';
import { reconcileVertex } from '../../lib/providers/vertex';
import { pipelineDefinition } from '../../lib/providers/sagemaker/training';
import { SERVERS, type ServerName } from '../../lib/serving';
import { loadProjectText } from '../../lib/spec';
import { FakeArm } from '../fakes/azureml/arm';
import { fakeClients } from '../providers/azureml/helpers';
import { withFakeVertex } from '../providers/vertex/helpers';
import { threeCloudsYaml } from '../helpers';
import { modelStackProps } from '../constructs/project-of';

/**
 * Every server preset on every provider: what reaches SageMaker (the Model's Environment), Vertex
 * (the uploaded version's containerSpec, through the real client and the fake) and Azure ML (the
 * environment's inferenceConfig and the deployment's variables, through the real client and the
 * fake ARM that checks bodies against Azure's published specification).
 */

/** SageMaker's variant of each server, which speaks SageMaker's contract (docs/SERVERS.md). */
const SAGEMAKER_IMAGE: Record<ServerName, string> = {
  sagemaker: '111111111111.dkr.ecr.us-east-1.amazonaws.com/assistant-serve:1',
  tgi: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4-tgi2.3-gpu-py311-cu124-ubuntu22.04',
  vllm: '763104351884.dkr.ecr.us-east-1.amazonaws.com/vllm:0.11-gpu-py312-ec2',
  torchserve: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu-py311',
  tfserving: '763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.16-gpu',
  triton: '785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3',
};

function spec(server: ServerName, extra = ''): string {
  return `project: acme
environments:
${threeCloudsYaml('dev')}
models:
  assistant:
    versions:
      "1": { artifact: { sagemaker: s3://acme-models/assistant/1/model.tar.gz, vertex: gs://acme-models/assistant/1/, azureml: azureml://datastores/models/paths/assistant/1/ } }
    serving:
      server: ${server}
      image: { sagemaker: ${SAGEMAKER_IMAGE[server]}, vertex: us-docker.pkg.dev/acme/serve/${server}:1, azureml: acme.azurecr.io/${server}:1 }
      resources: { accelerator: T4, count: 1 }
${extra}`;
}

function modelPlan(server: ServerName, extra = ''): ModelPlan {
  const plan = resolvePlan(loadProjectText(spec(server, extra), 'mlspec.yaml', 'dev:\n  assistant: { traffic: { "1": 100 } }\n'));
  return plan.environments[0].models[0];
}

/** What each preset must give each provider: port, health, predict, variables and args, as docs/SERVERS.md records them. */
const EXPECTED: Record<ServerName, Record<'sagemaker' | 'vertex' | 'azureml', { port: number; health: string; predict: string; env: Record<string, string>; args?: string[] }>> = {
  sagemaker: {
    sagemaker: { port: 8080, health: '/ping', predict: '/invocations', env: {} },
    vertex: { port: 8080, health: '/ping', predict: '/invocations', env: {}, args: ['serve'] },
    azureml: { port: 8080, health: '/ping', predict: '/invocations', env: {} },
  },
  tgi: {
    sagemaker: { port: 8080, health: '/ping', predict: '/invocations', env: { HF_MODEL_ID: '/opt/ml/model', SM_NUM_GPUS: '1' } },
    vertex: { port: 8080, health: '/healthz', predict: '/predict', env: { NUM_SHARD: '1' } },
    azureml: { port: 8080, health: '/health', predict: '/invocations', env: { MODEL_ID: '/var/azureml-app/azureml-models/acme-assistant/1/1', NUM_SHARD: '1', PORT: '8080' } },
  },
  vllm: {
    sagemaker: { port: 8080, health: '/ping', predict: '/invocations', env: { SM_VLLM_MODEL: '/opt/ml/model', SM_VLLM_SERVED_MODEL_NAME: 'assistant', SM_VLLM_TENSOR_PARALLEL_SIZE: '1' } },
    vertex: {
      port: 8080,
      health: '/ping',
      predict: '/generate',
      env: {},
      args: ['python', '-m', 'vllm.entrypoints.api_server', '--host=0.0.0.0', '--port=8080', '--model=$(AIP_STORAGE_URI)', '--tensor-parallel-size=1'],
    },
    azureml: { port: 8080, health: '/health', predict: '/invocations', env: { SM_VLLM_MODEL: '/var/azureml-app/azureml-models/acme-assistant/1/1', SM_VLLM_SERVED_MODEL_NAME: 'assistant', SM_VLLM_TENSOR_PARALLEL_SIZE: '1' } },
  },
  torchserve: {
    sagemaker: { port: 8080, health: '/ping', predict: '/invocations', env: {} },
    vertex: { port: 8080, health: '/ping', predict: '/predictions/model', env: {} },
    azureml: {
      port: 8080,
      health: '/ping',
      predict: '/predictions/assistant',
      env: {
        TS_CONFIG_FILE: '/var/azureml-app/azureml-models/acme-assistant/1/1/config.properties',
        TS_INFERENCE_ADDRESS: 'http://0.0.0.0:8080',
        TS_LOAD_MODELS: 'all',
        TS_MODEL_STORE: '/var/azureml-app/azureml-models/acme-assistant/1/1',
      },
    },
  },
  tfserving: {
    sagemaker: { port: 8080, health: '/ping', predict: '/invocations', env: {} },
    vertex: { port: 8501, health: '/v1/models/assistant', predict: '/v1/models/assistant:predict', env: { MODEL_NAME: 'assistant' }, args: ['--model_base_path=$(AIP_STORAGE_URI)'] },
    azureml: { port: 8501, health: '/v1/models/assistant', predict: '/v1/models/assistant:predict', env: { MODEL_BASE_PATH: '/var/azureml-app/azureml-models/acme-assistant/1/1', MODEL_NAME: 'assistant' } },
  },
  triton: {
    sagemaker: { port: 8080, health: '/ping', predict: '/invocations', env: {} },
    vertex: { port: 8080, health: '/v2/health/ready', predict: '/v2/models/assistant/infer', env: {} },
    azureml: {
      port: 8000,
      health: '/v2/health/ready',
      predict: '/v2/models/assistant/infer',
      env: { AIP_HEALTH_ROUTE: '/v2/health/ready', AIP_HTTP_PORT: '8000', AIP_MODE: 'PREDICTION', AIP_PREDICT_ROUTE: '/v2/models/assistant/infer', AIP_STORAGE_URI: '/var/azureml-app/azureml-models/acme-assistant/1/1' },
    },
  },
};

describe.each(SERVERS)('server preset %s', (server) => {
  const want = EXPECTED[server];

  it('SageMaker: every Model gets the preset\'s Environment, and the contract needs no routes', () => {
    const plan = modelPlan(server);
    expect(plan.sagemaker!.serving!.container).toEqual(expect.objectContaining({ server, port: 8080, healthRoute: '/ping', predictRoute: '/invocations' }));
    const template = Template.fromStack(new ModelStack(new App(), 'Dev', modelStackProps(plan)));
    const models = Object.values(template.findResources('AWS::SageMaker::Model')) as any[];
    expect(models).toHaveLength(1);
    expect(models[0].Properties.PrimaryContainer.Environment).toEqual(Object.keys(want.sagemaker.env).length ? want.sagemaker.env : undefined);
  });

  it('Vertex: the uploaded version carries the preset\'s ports, routes, variables and arguments', async () => {
    await withFakeVertex(async (fake, clients) => {
      const result = await reconcileVertex(modelPlan(server).vertex!, { model: 'assistant', environment: 'dev' }, clients, { retries: 1, backoffMs: 5 });
      const spec = fake.models.get(result.modelName!)![0].containerSpec;
      const v = want.vertex;
      expect(spec).toEqual({
        imageUri: `us-docker.pkg.dev/acme/serve/${server}:1`,
        ports: [{ containerPort: v.port }],
        healthRoute: v.health,
        predictRoute: v.predict,
        ...(Object.keys(v.env).length ? { env: Object.entries(v.env).map(([name, value]) => ({ name, value })) } : {}),
        ...(v.args ? { args: v.args } : {}),
      });
    });
  });

  it('Azure ML: the environment routes to the preset\'s port and the deployment gets its variables; a re-run writes nothing', async () => {
    const fake = new FakeArm();
    await fake.start();
    try {
      const plan = modelPlan(server, '      dataCapture: { percent: 20 }\n').azureml!;
      await reconcileAzureMl(plan, { model: 'assistant', environment: 'dev' }, fakeClients(fake), { updateIntervalInMs: 5 });
      const a = want.azureml;
      const [environment] = [...fake.environmentVersions.values()] as any[];
      const route = (path: string) => ({ path, port: a.port });
      expect(environment.properties.image).toBe(`acme.azurecr.io/${server}:1`);
      expect(environment.properties.inferenceConfig).toEqual({ livenessRoute: route(a.health), readinessRoute: route(a.health), scoringRoute: route(a.predict) });
      const deployment = fake.deployments.get('acme-assistant-dev/v1') as any;
      expect(deployment.properties.environmentVariables ?? {}).toEqual(a.env);
      fake.resetCounts();
      await reconcileAzureMl(plan, { model: 'assistant', environment: 'dev' }, fakeClients(fake), { updateIntervalInMs: 5 });
      expect(fake.writes).toBe(0);
    } finally {
      fake.stop();
    }
  });
});

describe('what the spec sets wins over the preset', () => {
  const extra = `      container: { vertex: { port: 9000, predict: /v1/chat/completions } }
      env:
        MAX_INPUT_TOKENS: 2048
        azureml: { NUM_SHARD: "2" }
`;

  it('per provider, and the plan marks what the preset set', () => {
    const plan = modelPlan('tgi', extra);
    expect(plan.vertex!.serving!.container).toEqual({
      server: 'tgi',
      port: 9000,
      healthRoute: '/healthz',
      predictRoute: '/v1/chat/completions',
      env: { MAX_INPUT_TOKENS: '2048', NUM_SHARD: '1' },
      fromPreset: ['healthRoute', 'env.NUM_SHARD'],
    });
    expect(plan.azureml!.serving!.deployments[0].environmentVariables).toEqual({ MAX_INPUT_TOKENS: '2048', MODEL_ID: '/var/azureml-app/azureml-models/acme-assistant/1/1', NUM_SHARD: '2', PORT: '8080' });
    expect(plan.sagemaker!.serving!.container.env).toEqual({ HF_MODEL_ID: '/opt/ml/model', MAX_INPUT_TOKENS: '2048', SM_NUM_GPUS: '1' });
  });

  it('in the human plan, one line per provider with * on what the preset set', () => {
    const text = formatPlan(resolvePlan(loadProjectText(spec('tgi', extra), 'mlspec.yaml', 'dev:\n  assistant: { traffic: { "1": 100 } }\n')));
    expect(text).toContain('    container (sagemaker): port 8080*, GET /ping*, POST /invocations*; env HF_MODEL_ID=/opt/ml/model* MAX_INPUT_TOKENS=2048 SM_NUM_GPUS=1*  (* from the tgi preset)');
    expect(text).toContain('    container (vertex): port 9000, GET /healthz*, POST /v1/chat/completions; env MAX_INPUT_TOKENS=2048 NUM_SHARD=1*  (* from the tgi preset)');
    expect(text).toContain('    container (azureml): port 8080*, GET /health*, POST /invocations*; env MAX_INPUT_TOKENS=2048 MODEL_ID=/var/azureml-app/azureml-models/acme-assistant/<version>/<artifact-folder>* NUM_SHARD=2 PORT=8080*  (* from the tgi preset)');
  });
});

describe('changes after the first deploy', () => {
  it('Azure ML: a changed variable is one deployment PUT that keeps the live instance count', async () => {
    const fake = new FakeArm();
    await fake.start();
    try {
      const target = { model: 'assistant', environment: 'dev' };
      await reconcileAzureMl(modelPlan('tgi').azureml!, target, fakeClients(fake), { updateIntervalInMs: 5 });
      fake.resetCounts();
      await reconcileAzureMl(modelPlan('tgi', '      env: { MAX_INPUT_TOKENS: 4096 }\n').azureml!, target, fakeClients(fake), { updateIntervalInMs: 5 });
      expect(fake.writes).toBe(1);
      expect(fake.count('PUT', /\/deployments\/v1$/)).toBe(1);
      expect((fake.deployments.get('acme-assistant-dev/v1') as any).properties.environmentVariables.MAX_INPUT_TOKENS).toBe('4096');
    } finally {
      fake.stop();
    }
  });

  it("Vertex: a version's container cannot change, and the deploy says so rather than serve the old one", async () => {
    await withFakeVertex(async (fake, clients) => {
      const target = { model: 'assistant', environment: 'dev' };
      await reconcileVertex(modelPlan('tgi').vertex!, target, clients, { retries: 1, backoffMs: 5 });
      fake.resetCounts();
      await expect(reconcileVertex(modelPlan('tgi', '      env: { MAX_INPUT_TOKENS: 4096 }\n').vertex!, target, clients, { retries: 1, backoffMs: 5 })).rejects.toThrow(
        'vertex: assistant in dev: version 1 was uploaded with env "NUM_SHARD=1", and the spec now gives env "MAX_INPUT_TOKENS=4096 NUM_SHARD=1"; a Vertex model version\'s container cannot change: declare the artifact again under a new label and release that one',
      );
      expect(fake.writes).toBe(0);
    });
  });
});

describe('training.env', () => {
  it('reaches the SageMaker training job with ${model_dir} and ${gpus} resolved, beside mlspec\'s own launcher variables', () => {
    const training = `    training:
      image: { sagemaker: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu }
      command: [python, train.py]
      output: { sagemaker: s3://acme-models/assistant/ }
      resources: { accelerator: A100, count: 8, nodes: 2 }
      distribution: pytorch
      metrics: { loss: "loss=([0-9.]+)" }
      env: { SAVE_TO: "\${model_dir}/weights", WORLD: "\${gpus}", vertex: { ONLY_VERTEX: "1" } }
`;
    const text = spec('sagemaker').replace('    serving:\n', `${training}    serving:\n`).replace(/vertex: gs:[^,]+, azureml: [^ ]+ \}/, '}').replace(/, vertex: us-docker[^}]+\}/, ' }');
    const plan = resolvePlan(loadProjectText(text.replace(/    gcp:.*\n    azure:.*\n/, ''), 'mlspec.yaml', 'dev:\n  assistant: { traffic: { "1": 100 } }\n')).environments[0].models[0];
    expect(plan.sagemaker!.training!.env).toEqual({ SAVE_TO: '/opt/ml/model/weights', WORLD: '8' });
    const definition = pipelineDefinition(plan, { kmsKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/k', trainingRoleArn: 'arn:aws:iam::111111111111:role/t' }) as any;
    const train = definition.Steps.find((s: any) => s.Type === 'Training');
    expect(train.Arguments.Environment).toEqual({ SAVE_TO: '/opt/ml/model/weights', WORLD: '8', MLSPEC_MODEL_DIR: '/opt/ml/model', MLSPEC_LAUNCH: expect.stringContaining('torchrun') });
  });
});

describe("the README's LLM example", () => {
  const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Serving an LLM with TGI or vLLM'), readme.indexOf('## Serving on Vertex AI and Azure ML'));
  const blocks = [...section.matchAll(/```(yaml)?\n([\s\S]*?)```/g)].map((m) => m[2]);
  const [yaml, planLines, error] = blocks;
  const releases = 'dev: { chat: { traffic: { "1": 100 } } }\n';

  it('plans as the README shows', () => {
    const text = formatPlan(resolvePlan(loadProjectText(yaml, 'llm.yaml', releases), { environments: ['dev'] }));
    for (const line of planLines.trim().split('\n')) expect(text).toContain(line);
  });

  it('refuses the stock vLLM image on SageMaker with the README\'s message', () => {
    const stock = yaml.replace(/sagemaker: 763104351884\S+/, 'sagemaker: vllm/vllm-openai:v0.11.0');
    expect(() => loadProjectText(stock, 'llm.yaml', releases)).toThrow(error.trim());
  });
});
