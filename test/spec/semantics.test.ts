import { baseReleases, baseSpec, errorsOf, mutate, withAzure, withVertex } from '../helpers';
import { resolvePlan } from '../../lib/plan';
import { loadProjectText } from '../../lib/spec';

/** Every rule of SPEC.md's "Semantics": one test per rule and per message. */
describe('semantic rules', () => {
  it('accepts the base spec', () => {
    expect(errorsOf(baseSpec())).toEqual([]);
  });

  describe('traffic', () => {
    it('must add up to 100', () => {
      const releases = mutate(baseReleases(), (r) => (r.dev.fraud.traffic = { '7': 60, '8': 30 }));
      expect(errorsOf(baseSpec(), releases)).toEqual(['dev.fraud.traffic: percentages add up to 90; they must add up to 100']);
    });
    it('must give some version traffic', () => {
      const releases = mutate(baseReleases(), (r) => (r.dev.fraud.traffic = {}));
      expect(errorsOf(baseSpec(), releases)).toEqual(['dev.fraud.traffic: no version gets traffic; give at least one version, such as { "7": 100 }']);
    });
    it('is whole percent', () => {
      const releases = mutate(baseReleases(), (r) => (r.dev.fraud.traffic = { '7': 50.5, '8': 49.5 }));
      expect(errorsOf(baseSpec(), releases)).toContain('dev.fraud.traffic.7: 50.5 is not a whole number; traffic is in whole percent');
    });
  });

  describe('version labels', () => {
    it('must be declared when the model has no training', () => {
      const releases = mutate(baseReleases(), (r) => (r.dev.fraud.traffic = { '9': 100 }));
      expect(errorsOf(baseSpec(), releases)).toEqual(['dev.fraud.traffic.9: version "9" is not declared in models.fraud.versions and has no training to produce it; declared versions: 7, 8']);
    });
    it('may be a registry version number when the model trains', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.training = training()));
      const releases = mutate(baseReleases(), (r) => (r.dev.fraud.traffic = { '12': 100 }));
      expect(errorsOf(spec, releases)).toEqual([]);
    });
    it('explains trained labels when one is not a number', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.training = training()));
      const releases = mutate(baseReleases(), (r) => (r.dev.fraud.traffic = { nightly: 100 }));
      expect(errorsOf(spec, releases)).toEqual([
        'dev.fraud.traffic.nightly: version "nightly" is not declared in models.fraud.versions (trained versions are named by their registry version number, such as "3"); declared versions: 7, 8',
      ]);
    });
  });

  describe('shadow', () => {
    const withShadow = (version: string, percent: number) => mutate(baseReleases(), (r) => (r.dev.fraud.shadow = { version, percent }));
    it('is accepted on SageMaker', () => {
      expect(errorsOf(baseSpec(), withShadow('7', 20))).toEqual([]);
    });
    it('must not be live', () => {
      expect(errorsOf(baseSpec(), withShadow('8', 20))).toEqual(['dev.fraud.shadow.version: version "8" is live (it has traffic); a shadow copy of live traffic must go to a version that is not live']);
    });
    it('sits beside one live version on SageMaker', () => {
      const releases = mutate(baseReleases(), (r) => {
        r.dev.fraud.traffic = { '7': 50, '8': 50 };
        r.dev.fraud.shadow = { version: '9', percent: 10 };
      });
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.versions['9'] = { artifact: { sagemaker: 's3://m/9/model.tar.gz' }, metrics: { accuracy: 0.99 } }));
      expect(errorsOf(spec, releases)).toEqual([
        'dev.fraud.shadow: sagemaker takes a shadow only beside a single live version, and dev splits traffic over 7, 8; give one version 100% while the shadow runs, or remove shadow',
      ]);
    });
    it('is refused on Vertex', () => {
      const spec = withVertex(baseSpec());
      expect(errorsOf(spec, withShadow('7', 20))).toEqual([
        'dev.fraud.shadow: vertex has no shadow traffic and fraud serves on vertex in dev; remove shadow here, or leave vertex out of models.fraud.providers',
      ]);
    });
    it('is at most 50 % on Azure ML', () => {
      const spec = withAzure(baseSpec());
      expect(errorsOf(spec, withShadow('7', 60))).toEqual(['dev.fraud.shadow.percent: azureml mirrors at most 50% of traffic, not 60%; use 50 or less']);
    });
  });

  describe('serving', () => {
    it('replicas min ≤ max', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.serving.replicas = { min: 5, max: 2 }));
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.replicas.min: min (5) is more than max (2); make min ≤ max']);
    });
    it('autoscaling needs room to scale', () => {
      const spec = mutate(baseSpec(), (s) => {
        s.models.fraud.serving.replicas = { min: 2, max: 2 };
        s.models.fraud.serving.autoscaling = { metric: 'invocations', target: 100 };
      });
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.autoscaling: replicas.min equals replicas.max (2), so nothing can scale; raise replicas.max or remove autoscaling']);
    });
    it('gpu autoscaling needs a GPU and a percent', () => {
      const spec = mutate(baseSpec(), (s) => {
        s.models.fraud.serving.resources = { instanceType: { sagemaker: 'ml.m5.xlarge' } };
        s.models.fraud.serving.autoscaling = { metric: 'gpu', target: 150 };
      });
      expect(errorsOf(spec)).toEqual([
        'models.fraud.serving.autoscaling.metric: gpu autoscaling needs a GPU; set resources.accelerator or scale on invocations',
        'models.fraud.serving.autoscaling.target: 150 is not a GPU utilisation; use a percent from 1 to 100',
      ]);
    });
    it('needs an accelerator or an instance type', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.serving.resources = {}));
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.resources: no accelerator and no instanceType.sagemaker; set resources.accelerator (such as T4) or resources.instanceType.sagemaker']);
    });
    it('count needs an accelerator', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.serving.resources = { count: 2, instanceType: { sagemaker: 'ml.m5.xlarge' } }));
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.resources.count: count is the number of accelerators per node and needs resources.accelerator; set accelerator or remove count']);
    });
    it('needs a serving block when released', () => {
      const spec = mutate(baseSpec(), (s) => delete s.models.fraud.serving);
      expect(errorsOf(spec)).toEqual(['models.fraud: releases.yaml releases this model to dev, prod, but it has no serving block; add models.fraud.serving']);
    });
    it('needs an image for every provider it serves on', () => {
      const spec = withVertex(baseSpec());
      spec.models.fraud.serving!.image = { sagemaker: 'x.dkr.ecr.us-east-1.amazonaws.com/a:1' };
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.image: serving.image has no vertex entry, but the model uses vertex; add serving.image.vertex or set providers to leave vertex out']);
    });
  });

  describe('rollout', () => {
    const rollout = (r: object) => mutate(baseSpec(), (s) => (s.models.fraud.serving.rollout = r));
    it('canary needs percent and bake', () => {
      expect(errorsOf(rollout({ strategy: 'canary' }))).toEqual([
        'models.fraud.serving.rollout: canary needs percent (the share of capacity shifted first); add percent: 10',
        'models.fraud.serving.rollout: canary needs bake (how long to watch the canary); add bake: 10m',
      ]);
    });
    it('canary is at most half', () => {
      expect(errorsOf(rollout({ strategy: 'canary', percent: 60, bake: '10m' }))).toEqual(['models.fraud.serving.rollout.percent: a canary of 60% is more than half; use at most 50, or strategy linear']);
    });
    it('linear needs interval, not bake', () => {
      expect(errorsOf(rollout({ strategy: 'linear', percent: 25, bake: '5m' }))).toEqual([
        'models.fraud.serving.rollout: linear needs interval (the wait between steps); add interval: 5m',
        'models.fraud.serving.rollout.bake: bake belongs to canary rollouts; linear uses interval',
      ]);
    });
    it('all-at-once takes no steps', () => {
      expect(errorsOf(rollout({ strategy: 'all-at-once', percent: 10 }))).toEqual(['models.fraud.serving.rollout.percent: percent has no meaning for all-at-once; remove it or use strategy canary or linear']);
    });
    it('waits at most 3h in all', () => {
      expect(errorsOf(rollout({ strategy: 'linear', percent: 10, interval: '1h' }))).toEqual([
        'models.fraud.serving.rollout.interval: the rollout waits 540 minutes in all; on sagemaker mlspec walks it from a CloudFormation custom resource, which may take at most 1h with the deployment included: keep the waits within 45m',
      ]);
    });
    it('waits at most 45m in all: mlspec walks it on every provider (one custom resource, 1h)', () => {
      const spec = mutate(withVertex(rollout({ strategy: 'canary', percent: 10, bake: '50m' })), (s: any) => {
        s.models.fraud.providers = ['sagemaker', 'vertex'];
      });
      expect(errorsOf(spec).filter((e) => e.includes('rollout'))).toEqual([
        'models.fraud.serving.rollout.bake: the rollout waits 50 minutes in all; on sagemaker and vertex mlspec walks it from a CloudFormation custom resource, which may take at most 1h with the deployment included: keep the waits within 45m',
      ]);
      expect(errorsOf(rollout({ strategy: 'canary', percent: 10, bake: '40m' })).filter((e) => e.includes('rollout'))).toEqual([]);
    });
    it('parses durations and rates', () => {
      const spec = mutate(baseSpec(), (s) => {
        s.models.fraud.serving.rollout = { strategy: 'canary', percent: 10, bake: '10 minutes' };
        s.models.fraud.serving.rollback = { errorRate: 'one percent', p99Latency: '800' };
      });
      expect(errorsOf(spec)).toEqual([
        'models.fraud.serving.rollback.errorRate: "one percent" is not a rate; write a percentage such as 1% or 0.5%',
        'models.fraud.serving.rollback.p99Latency: "800" is not a duration; write it like 90s, 10m, 12h or 2d',
        'models.fraud.serving.rollout.bake: "10 minutes" is not a duration; write it like 90s, 10m, 12h or 2d',
      ]);
    });
  });

  describe('registry', () => {
    it('parses gates', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.registry.gates = { accuracy: 'at least 0.9' }));
      expect(errorsOf(spec)).toEqual(['models.fraud.registry.gates.accuracy: "at least 0.9" is not a gate; write a comparison such as ">= 0.95" or "< 0.2"']);
    });
    it('gates name a metric that versions report', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.registry.gates = { acuracy: '>= 0.9' }));
      expect(errorsOf(spec)).toEqual(['models.fraud.registry.gates.acuracy: gate on "acuracy", which no version or training metric reports; did you mean "accuracy"?']);
    });
    it('artifacts match their provider', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.versions['7'].artifact.sagemaker = 'gs://wrong/7/'));
      expect(errorsOf(spec)).toEqual(['models.fraud.versions.7.artifact.sagemaker: "gs://wrong/7/" is not a sagemaker storage location; use a s3:// URI']);
    });
  });

  describe('training', () => {
    const withTraining = (edit: (t: any) => void) => mutate(baseSpec(), (s) => (s.models.fraud.training = mutate(training(), edit)));
    it('spot needs checkpoints', () => {
      expect(errorsOf(withTraining((t) => delete t.checkpoints))).toEqual([
        'models.fraud.training.spot: spot training can be interrupted and needs checkpoints to resume; add training.checkpoints for each provider',
      ]);
    });
    it('spot maxWait covers the run', () => {
      expect(errorsOf(withTraining((t) => (t.spot.maxWait = '1h')))).toEqual([
        'models.fraud.training.spot.maxWait: maxWait (1h) is shorter than maxRuntime (12h); it includes the run, so make it at least 12h',
      ]);
    });
    it('several nodes need a distribution', () => {
      expect(errorsOf(withTraining((t) => (t.distribution = 'none')))).toEqual([
        'models.fraud.training.resources.nodes: 2 nodes need a distribution; set training.distribution to pytorch, mpi or tensorflow, or use nodes: 1',
      ]);
    });
    it('accelerator count per node is one the catalog offers', () => {
      expect(errorsOf(withTraining((t) => (t.resources.count = 3)))).toEqual([
        expect.stringMatching(/^models\.fraud\.training\.resources\.count: sagemaker has no A100 machine with 3 per node for training; it offers 8 per node \(or set resources\.instanceType\.sagemaker\)$/),
      ]);
    });
    it('tuning objective is a declared metric', () => {
      expect(errorsOf(withTraining((t) => (t.tuning.objective.metric = 'val_f2')))).toEqual(['models.fraud.training.tuning.objective.metric: "val_f2" is not a metric of training.metrics; did you mean "val_f1"?']);
    });
    it('tuning ranges are the right way up', () => {
      expect(errorsOf(withTraining((t) => (t.tuning.parameters.lr = { min: 0.1, max: 0.001 })))).toEqual(['models.fraud.training.tuning.parameters.lr.min: min (0.1) is not below max (0.001); the range is the wrong way up']);
    });
    it('log ranges start above zero', () => {
      expect(errorsOf(withTraining((t) => (t.tuning.parameters.lr = { min: 0, max: 0.1, scale: 'log' })))).toEqual([
        'models.fraud.training.tuning.parameters.lr.min: a log scale needs min above 0, not 0; use a small positive number such as 1.0e-6',
      ]);
    });
    it('tuning needs a range or values', () => {
      expect(errorsOf(withTraining((t) => (t.tuning.parameters.lr = { scale: 'log' })))).toEqual(['models.fraud.training.tuning.parameters.lr: needs min and max (a range) or values (a list)']);
    });
    it('parallel trials within max trials', () => {
      expect(errorsOf(withTraining((t) => (t.tuning.parallelTrials = 30)))).toEqual(['models.fraud.training.tuning.parallelTrials: 30 parallel trials exceed maxTrials (20); make parallelTrials ≤ maxTrials']);
    });
    it('metric patterns need a capture group', () => {
      expect(errorsOf(withTraining((t) => (t.metrics.val_f1 = 'val_f1=[0-9.]+')))).toEqual(['models.fraud.training.metrics.val_f1: the pattern has no capture group; wrap the number in parentheses, such as "val_f1=([0-9.]+)"']);
      expect(errorsOf(withTraining((t) => (t.metrics.val_f1 = 'val_f1=([0-9.]+')))).toEqual(['models.fraud.training.metrics.val_f1: "val_f1=([0-9.]+" is not a regular expression; write one with a capture group, such as "val_f1=([0-9.]+)"']);
    });
    it('a gate of a model that trains names a training metric (the run checks it before registering)', () => {
      const spec = mutate(baseSpec(), (s) => {
        s.models.fraud.training = training();
        s.models.fraud.versions['7'].metrics.f1 = 0.9;
        s.models.fraud.registry.gates.f1 = '>= 0.9';
      });
      expect(errorsOf(spec)).toEqual(['models.fraud.registry.gates.f1: trained versions are checked against training.metrics, which has no "f1"; add a pattern for it, such as f1: "f1=([0-9.]+)"']);
    });
    it('a grid search takes lists only', () => {
      expect(errorsOf(withTraining((t) => (t.tuning.strategy = 'grid')))).toEqual([
        'models.fraud.training.tuning.parameters.lr: a grid search tries every combination of lists; give lr values: [...] instead of min and max, or use strategy: bayesian',
      ]);
    });
    it('SageMaker: no mpi runs yet', () => {
      expect(errorsOf(withTraining((t) => (t.distribution = 'mpi')))).toEqual([
        'models.fraud.training.distribution: mlspec does not start mpi runs on SageMaker yet; use pytorch (torchrun on every node) or tensorflow (TF_CONFIG), or leave sagemaker out of providers',
      ]);
    });
    it('SageMaker: a distributed run without tuning needs the command it starts on every node', () => {
      expect(errorsOf(withTraining((t) => delete t.tuning))).toEqual([
        'models.fraud.training.distribution: distribution pytorch starts training.command on every node of SageMaker; add the command, such as command: [python, train.py]',
      ]);
      expect(errorsOf(withTraining((t) => { delete t.tuning; t.command = ['python', 'train.py']; }))).toEqual([]);
    });
    it('SageMaker: a run registers with the serving image', () => {
      const spec = mutate(baseSpec(), (s) => {
        s.models.fraud.training = training();
        delete s.models.fraud.serving;
      });
      const releases = mutate(baseReleases(), (r) => { for (const env of Object.values<any>(r)) delete env.fraud; });
      expect(errorsOf(spec, releases)).toEqual(['models.fraud.training: a SageMaker training run registers the version with the image that serves it; add serving.image.sagemaker']);
    });
  });

  it('reserves the model name "handlers" for the handlers stacks', () => {
    const spec = mutate(baseSpec(), (s) => {
      s.models.handlers = s.models.fraud;
      delete s.models.fraud;
    });
    const releases = mutate(baseReleases(), (r) => { for (const env of Object.values<any>(r)) { env.handlers = env.fraud; delete env.fraud; } });
    expect(errorsOf(spec, releases)).toEqual(['models.handlers: the model name "handlers" is taken by each environment\'s handlers stack (<project>-handlers-<env>); name the model otherwise, such as "handlers-model"']);
  });

  describe('environments and providers', () => {
    it('each provider a model uses is configured where it is released', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.providers = ['sagemaker', 'vertex']));
      spec.models.fraud.serving!.image = { sagemaker: 'x.dkr.ecr.us-east-1.amazonaws.com/a:1', vertex: 'us-docker.pkg.dev/p/r/i:1' };
      for (const v of Object.values(spec.models.fraud.versions!)) (v.artifact as any).vertex = 'gs://m/x/';
      expect(errorsOf(spec)).toEqual([
        'models.fraud.providers.1: vertex is used, but environment "dev" (where releases.yaml releases this model) has no gcp block; add environments.dev.gcp or remove vertex from providers',
        'models.fraud.providers.1: vertex is used, but environment "prod" (where releases.yaml releases this model) has no gcp block; add environments.prod.gcp or remove vertex from providers',
      ]);
    });
    it('promotion.from names an environment', () => {
      const spec = mutate(baseSpec(), (s) => (s.environments.prod.promotion.from = 'deb'));
      expect(errorsOf(spec)).toEqual(['environments.prod.promotion.from: environment "deb" is not declared; did you mean "dev"?']);
    });
    it('promotion.from is another environment', () => {
      const spec = mutate(baseSpec(), (s) => (s.environments.prod.promotion.from = 'prod'));
      expect(errorsOf(spec)).toEqual(['environments.prod.promotion.from: an environment cannot promote from itself; name the environment versions come from, such as dev']);
    });
    it('an environment configures a cloud', () => {
      const spec = mutate(baseSpec(), (s) => (s.environments.qa = {}));
      expect(errorsOf(spec)).toEqual(['environments.qa: configures no cloud; add an aws, gcp or azure block']);
    });
    it('releases name declared models', () => {
      const releases = mutate(baseReleases(), (r) => (r.dev.frod = { traffic: { '7': 100 } }));
      expect(errorsOf(baseSpec(), releases)).toEqual(['dev.frod: model "frod" is not declared in the spec; did you mean "fraud"?']);
    });
    it('names follow the resource-name rules', () => {
      const spec = mutate(baseSpec(), (s) => (s.project = 'Acme_Corp'));
      expect(errorsOf(spec)).toEqual(['project: "Acme_Corp" is not a valid project name; use 2-20 lowercase letters, digits or dashes, starting with a letter']);
    });
  });

  describe('catalog', () => {
    it('names what a provider offers when it lacks an accelerator', () => {
      const spec = withVertex(baseSpec());
      spec.models.fraud.serving!.resources = { accelerator: 'A10G' };
      const errors = errorsOf(spec);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^models\.fraud\.serving\.resources\.accelerator: vertex has no A10G for serving; it offers T4, L4, .*\(or set resources\.instanceType\.vertex\)$/);
    });
    it('an instanceType override wins over the accelerator', () => {
      const spec = withVertex(baseSpec());
      spec.models.fraud.serving!.resources = { accelerator: 'A10G', instanceType: { vertex: 'g2-standard-8' } };
      expect(errorsOf(spec)).toEqual([]);
    });
    it('names the regions that have a SKU the region lacks', () => {
      const spec = mutate(baseSpec(), (s) => (s.environments.dev.aws.region = 'af-south-1'));
      spec.models.fraud.serving!.resources = { accelerator: 'H100', count: 8 };
      const errors = errorsOf(spec);
      expect(errors[0]).toMatch(/^models\.fraud\.serving\.resources\.accelerator: sagemaker offers no ml\.p5\.48xlarge for serving in af-south-1 \(environment dev\); regions that have it: .*us-east-1/);
    });
  });
});

describe('Azure ML registries', () => {
  it('refuse a workspace datastore path for a model registered in a registry, and accept a storage URI', () => {
    const withRegistry = (uri: string) =>
      mutate(withAzure(baseSpec()), (s) => {
        s.environments.prod.azure.registry = 'acme-models';
        for (const v of Object.values<any>(s.models.fraud.versions)) v.artifact.azureml = uri;
      });
    const errors = errorsOf(withRegistry('azureml://datastores/models/paths/fraud/'), baseReleases());
    expect(errors.some((e) => e.includes('is a path in a workspace datastore') && e.includes('registry "acme-models" (environments.prod.azure.registry)'))).toBe(true);
    expect(errorsOf(withRegistry('https://acmemodels.blob.core.windows.net/fraud/'), baseReleases()).filter((e) => e.includes('workspace datastore'))).toEqual([]);
  });
});

function training() {
  return {
    image: { sagemaker: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu' },
    output: { sagemaker: 's3://acme-models/fraud/' },
    checkpoints: { sagemaker: 's3://acme-models/fraud/ckpt/' },
    resources: { accelerator: 'A100', count: 8, nodes: 2 },
    distribution: 'pytorch',
    spot: { maxWait: '24h' },
    maxRuntime: '12h',
    metrics: { val_f1: 'val_f1=([0-9.]+)', accuracy: 'acc=([0-9.]+)' },
    tuning: { objective: { metric: 'val_f1', goal: 'maximize' }, parameters: { lr: { min: 1e-5, max: 1e-2, scale: 'log' } }, maxTrials: 20, parallelTrials: 4 },
  };
}

describe('a model listing a provider that an environment lacks', () => {
  it('is not on that provider where it is not released (the plan leaves it out), and is refused where it is', () => {
    const spec = mutate(withAzure(baseSpec()), (s: any) => {
      s.models.fraud.providers = ['sagemaker', 'azureml'];
      s.environments.qa = { aws: { account: '444444444444', region: 'us-east-1' } };
    });
    const plan = resolvePlan(loadProjectText(JSON.stringify(spec), 'mlspec.yaml', JSON.stringify(baseReleases())));
    expect(plan.environments.find((e) => e.name === 'qa')!.models[0].providers).toEqual(['sagemaker']);
    const released = mutate(baseReleases(), (r: any) => { r.qa = { fraud: r.dev.fraud }; });
    expect(errorsOf(spec, released)).toContain('models.fraud.providers.1: azureml is used, but environment "qa" (where releases.yaml releases this model) has no azure block; add environments.qa.azure or remove azureml from providers');
  });
});
