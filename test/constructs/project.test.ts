import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { run } from '../../bin/mlspec';
import { addModelStacks, AzureMlModel, MlspecApp, MlspecProject, ModelStack, projectFromPlan, TrainingPipeline, VertexModel } from '../../constructs';
import { resolvePlan } from '../../lib/plan';
import { loadProject, loadProjectText } from '../../lib/spec';
import { TRAINING_SPEC } from '../helpers';
import { newStack } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = { specPath: path.join(ROOT, 'examples/mlspec.yaml'), releasesPath: path.join(ROOT, 'examples/releases.yaml') };
const example = MlspecProject.fromFiles(EXAMPLE);

/** The message `fn` throws; fails the test when it throws nothing. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

describe('MlspecProject.fromFiles', () => {
  test('reads, validates and resolves the spec and releases: name, environments in spec order, models of each', () => {
    expect(example.name).toBe('acme');
    expect(example.environmentNames).toEqual(['dev', 'staging', 'prod']);
    for (const env of example.environmentNames) expect(example.modelNames(env)).toEqual(['fraud-detector', 'search-ranker', 'support-assistant']);
    expect(example.warnings).toBe('');
    expect(example._plan).toEqual(resolvePlan(loadProject(EXAMPLE)));
  });

  test('environments: builds only those', () => {
    const prod = MlspecProject.fromFiles({ ...EXAMPLE, environments: ['prod'] });
    expect(prod.environmentNames).toEqual(['prod']);
    expect(prod._plan).toEqual(resolvePlan(loadProject(EXAMPLE), { environments: ['prod'] }));
  });

  test('environments the spec does not have: named, with the ones it has', () => {
    expect(messageOf(() => MlspecProject.fromFiles({ ...EXAMPLE, environments: ['prod', 'stagin'] })))
      .toBe(`environments: "stagin" is not in ${EXAMPLE.specPath}; it has dev, staging, prod`);
    expect(messageOf(() => MlspecProject.fromFiles({ ...EXAMPLE, environments: ['stagin', 'qa'] })))
      .toBe(`environments: "stagin", "qa" are not in ${EXAMPLE.specPath}; it has dev, staging, prod`);
  });

  describe('an invalid spec throws what `mlspec validate` prints: file:line:col, field, what is wrong; no stack trace', () => {
    const SPEC = `project: acme
environments:
  dev: { aws: { account: "111111111111", region: us-east-1 } }
models:
  fraud:
    versions:
      "7": { artifact: { sagemaker: s3://m/7/model.tar.gz } }
    serving:
      image: { sagemaker: 1.dkr.ecr.us-east-1.amazonaws.com/x:1 }
      resources: { accelerator: T5 }
`;
    const dir = mkdtempSync(path.join(tmpdir(), 'mlspec-project-'));
    writeFileSync(path.join(dir, 'mlspec.yaml'), SPEC);
    writeFileSync(path.join(dir, 'releases.yaml'), 'dev:\n  fraud: { traffic: { "7": 60 } }\n');
    const files = { specPath: path.join(dir, 'mlspec.yaml'), releasesPath: path.join(dir, 'releases.yaml') };

    test('every problem of both files, each with its position, then the count', () => {
      const message = messageOf(() => MlspecProject.fromFiles(files));
      expect(message).toBe(
        `${dir}/mlspec.yaml:10:33  models.fraud.serving.resources.accelerator: "T5" is not allowed; did you mean "T4"?\n` +
          `${dir}/releases.yaml:2:12  dev.fraud.traffic: percentages add up to 60; they must add up to 100\n` +
          '2 errors',
      );
      expect(message).not.toMatch(/^\s+at /m);
    });

    test('the same text `mlspec validate` prints on stderr', async () => {
      let err = '';
      const code = await run(['validate', '--spec', files.specPath, '--releases', files.releasesPath], { out: () => undefined, err: (t) => (err += t), cwd: ROOT });
      expect(code).toBe(1);
      expect(messageOf(() => MlspecProject.fromFiles(files))).toBe(err.trimEnd());
    });

    test('through MlspecApp.addModelStacks too, before any stack is added', () => {
      const app = new App();
      expect(messageOf(() => MlspecApp.addModelStacks(app, files))).toBe(messageOf(() => MlspecProject.fromFiles(files)));
      expect(app.node.children).toEqual([]);
    });

    test('a missing spec file', () => {
      const missing = path.join(dir, 'absent.yaml');
      expect(messageOf(() => MlspecProject.fromFiles({ specPath: missing })))
        .toBe(`${missing}  (top level): file not found; create it (see examples/mlspec.yaml) or give its path as specPath\n1 error`);
    });
  });
});

describe('unknown names: what the project has, with the nearest', () => {
  test('an environment', () => {
    expect(messageOf(() => example._environment('stagin'))).toBe('environment "stagin" is not in project acme; did you mean "staging"?');
    expect(messageOf(() => example._environment('qa'))).toBe('environment "qa" is not in project acme; expected one of dev, staging, prod');
    expect(messageOf(() => example.modelNames('stagin'))).toBe('environment "stagin" is not in project acme; did you mean "staging"?');
  });

  test('an environment the project was not built with', () => {
    const prod = MlspecProject.fromFiles({ ...EXAMPLE, environments: ['prod'] });
    expect(messageOf(() => prod._environment('dev'))).toBe('environment "dev" of project acme was not built: the project was read with environments prod (ProjectFiles.environments)');
    expect(messageOf(() => prod._environment('qa'))).toBe('environment "qa" is not in project acme; expected one of prod');
  });

  test('a model', () => {
    expect(messageOf(() => example._model('dev', 'fraud-detecter'))).toBe('model "fraud-detecter" is not in project acme; did you mean "fraud-detector"?');
    expect(messageOf(() => example._model('dev', 'churn'))).toBe('model "churn" is not in project acme; expected one of fraud-detector, search-ranker, support-assistant');
    // An unknown environment is named first.
    expect(messageOf(() => example._model('stagin', 'fraud-detecter'))).toBe('environment "stagin" is not in project acme; did you mean "staging"?');
  });

  test('the constructs say so too', () => {
    expect(messageOf(() => new ModelStack(new App(), 'S', { project: example, model: 'fraud-detecter', environment: 'dev' })))
      .toBe('model "fraud-detecter" is not in project acme; did you mean "fraud-detector"?');
    expect(messageOf(() => new ModelStack(new App(), 'S', { project: example, model: 'fraud-detector', environment: 'stagin' })))
      .toBe('environment "stagin" is not in project acme; did you mean "staging"?');
    expect(messageOf(() => new VertexModel(newStack(), 'V', { project: example, model: 'search-rankr', environment: 'dev' })))
      .toBe('model "search-rankr" is not in project acme; did you mean "search-ranker"?');
    expect(messageOf(() => new AzureMlModel(newStack(), 'A', { project: example, model: 'fraud-detector', environment: 'qa' })))
      .toBe('environment "qa" is not in project acme; expected one of dev, staging, prod');
    expect(messageOf(() => new TrainingPipeline(newStack(), 'T', { project: example, model: 'fraud-detectr', environment: 'dev' })))
      .toBe('model "fraud-detectr" is not in project acme; did you mean "fraud-detector"?');
  });
});

describe('a construct on a model that is not on its provider there', () => {
  test('VertexModel on a model without vertex', () => {
    expect(messageOf(() => new VertexModel(newStack(), 'V', { project: example, model: 'fraud-detector', environment: 'dev' })))
      .toBe('fraud-detector in dev: the model is not on vertex there (its providers: sagemaker, azureml); VertexModel needs a model whose spec lists vertex in that environment');
  });

  test('AzureMlModel on a model without azureml', () => {
    expect(messageOf(() => new AzureMlModel(newStack(), 'A', { project: example, model: 'search-ranker', environment: 'prod' })))
      .toBe('search-ranker in prod: the model is not on azureml there (its providers: sagemaker, vertex); AzureMlModel needs a model whose spec lists azureml in that environment');
  });

  test('TrainingPipeline on a model that trains on Vertex AI, not SageMaker', () => {
    const training = projectFromPlan(resolvePlan(loadProjectText(TRAINING_SPEC, 'mlspec.yaml', 'dev: {}\n')));
    expect(training._model('dev', 'ranker').vertex?.training).toBeDefined();
    expect(messageOf(() => new TrainingPipeline(new Stack(new App(), 'S'), 'T', { project: training, model: 'ranker', environment: 'dev' })))
      .toBe('ranker in dev: the model does not train on sagemaker there; TrainingPipeline needs a model whose spec has a training section with provider sagemaker');
  });
});

describe('MlspecApp.addModelStacks from the files: the same stacks as addModelStacks of the resolved plan', () => {
  // As a CDK app names them: relative to where it runs.
  const relative = (p: string) => path.relative(process.cwd(), p);
  const fromFiles = new App();
  const stacks = MlspecApp.addModelStacks(fromFiles, { specPath: relative(EXAMPLE.specPath), releasesPath: relative(EXAMPLE.releasesPath) });
  const fromPlan = new App();
  const planStacks = addModelStacks(fromPlan, resolvePlan(loadProject(EXAMPLE)));
  const all = (app: App) => app.node.children.filter((c): c is Stack => c instanceof Stack);

  test('the same stacks (handlers and models), in the same order, accounts, regions, protection and dependencies', () => {
    const shape = (s: Stack) => [s.stackName, s.account, s.region, s.terminationProtection, s.dependencies.map((d) => d.stackName)];
    expect(all(fromFiles).map(shape)).toEqual(all(fromPlan).map(shape));
    expect(stacks.map((s) => s.stackName)).toEqual(planStacks.map((s) => s.stackName));
    // 3 handlers stacks and 9 model stacks.
    expect(all(fromFiles)).toHaveLength(12);
    expect(stacks).toHaveLength(9);
    expect(stacks.map((s) => [s.modelName, s.environmentName, s.project.name])).toEqual(planStacks.map((s) => [s.modelName, s.environmentName, 'acme']));
  });

  test('identical templates', () => {
    const planned = all(fromPlan);
    for (const [i, stack] of all(fromFiles).entries()) {
      expect([stack.stackName, Template.fromStack(stack).toJSON()]).toEqual([planned[i].stackName, Template.fromStack(planned[i]).toJSON()]);
    }
  });
});

test('removalPolicy SNAPSHOT is refused by each construct that takes one, with what to use instead', () => {
  const refusal = 'removalPolicy: SNAPSHOT is not something SageMaker endpoints, Vertex AI or Azure ML endpoints can do on delete; use RemovalPolicy.RETAIN (keep them) or RemovalPolicy.DESTROY';
  expect(messageOf(() => new ModelStack(new App(), 'Dev', { project: example, model: 'fraud-detector', environment: 'dev', removalPolicy: RemovalPolicy.SNAPSHOT }))).toBe(refusal);
  expect(messageOf(() => new VertexModel(newStack(), 'Vertex', { project: example, model: 'search-ranker', environment: 'dev', removalPolicy: RemovalPolicy.SNAPSHOT }))).toBe(refusal);
  expect(messageOf(() => new AzureMlModel(newStack(), 'AzureMl', { project: example, model: 'fraud-detector', environment: 'dev', removalPolicy: RemovalPolicy.SNAPSHOT }))).toBe(refusal);
});
