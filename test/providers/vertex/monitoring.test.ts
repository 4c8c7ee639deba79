import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/aiplatform';
import { googleAuthLibrary } from 'google-gax';
import { resolvePlan, type EnvironmentPlan, type ModelPlan, type VertexModelPlan } from '../../../lib/plan';
import { namedCalls } from '../../../lib/providers/contract';
import {
  advanceVertexRollout,
  deleteVertexEndpoint,
  monitoringJobChanges,
  reconcileVertex,
  vertexClients,
  VertexLiveState,
  VertexMonitor,
  vertexMonitoringJob,
  vertexMonitorReport,
  vertexTrainingDataset,
  type VertexClients,
} from '../../../lib/providers/vertex';
import { loadProjectText } from '../../../lib/spec';
import { FakeVertex } from '../../fakes/vertex/server';

/**
 * The Vertex drift monitor (lib/providers/vertex/monitoring.ts) against the fake Vertex, with the real v1 clients: the
 * ModelDeploymentMonitoringJob a spec's serving.monitoring becomes (through the real resolvePlan of a YAML spec), created
 * with the endpoint, updated in place with only what changed, deleted when the spec drops it or the endpoint goes, and read
 * back as the live monitor report.
 */

const target = { model: 'ranker', environment: 'staging' };
const fast = { retries: 2, backoffMs: 5 };

interface Monitoring {
  /** No serving.monitoring (dataCapture stays). */
  off?: boolean;
  schedule?: string;
  baseline?: string;
  threshold?: number;
  features?: Record<string, number>;
  emails?: string[];
  percent?: number;
  rollout?: string;
}

/** A Vertex-only spec whose `ranker` serves versions 3 and 4, captures `percent` of its traffic and, unless `off`, monitors it. */
function spec(o: Monitoring = {}): string {
  const monitoring = !o.off
    ? `
      monitoring:
        schedule: ${o.schedule ?? 'rate(6 hours)'}
        baseline: { vertex: ${o.baseline ?? 'bq://acme-ml-staging.ranker.train'} }
        drift: { threshold: ${o.threshold ?? 0.3}, features: ${JSON.stringify(o.features ?? { query_length: 0.2, clicks: 0.25 })} }
        alerts: { email: ${JSON.stringify(o.emails ?? ['ml-oncall@acme.com', 'ranker@acme.com'])} }`
    : '';
  return `project: acme
environments:
  staging:
    gcp: { project: acme-ml-staging, region: us-central1 }
models:
  ranker:
    providers: [vertex]
    versions:
      "3": { artifact: { vertex: "gs://acme-models/ranker/3/" }, metrics: { ndcg: 0.71 } }
      "4": { artifact: { vertex: "gs://acme-models/ranker/4/" }, metrics: { ndcg: 0.74 } }
    serving:
      image: { vertex: us-docker.pkg.dev/acme-ml-prod/serve/ranker:4 }
      resources: { accelerator: L4, count: 1 }
      replicas: { min: 1, max: 2 }
      rollout: ${o.rollout ?? '{ strategy: all-at-once }'}
      dataCapture: { percent: ${o.percent ?? 20} }${monitoring}
`;
}

function resolved(traffic: Record<string, number>, m: Monitoring = {}): { env: EnvironmentPlan; model: ModelPlan; plan: VertexModelPlan } {
  const releases = `staging:\n  ranker: { traffic: ${JSON.stringify(traffic)} }\n`;
  const env = resolvePlan(loadProjectText(spec(m), 'mlspec.yaml', releases), { environments: ['staging'] }).environments[0];
  const model = env.models.find((x) => x.name === 'ranker')!;
  return { env, model, plan: model.vertex! };
}
const plan = (traffic: Record<string, number>, m: Monitoring = {}) => resolved(traffic, m).plan;
const OFF = { off: true };

const SKEW = 'model_deployment_monitoring_objective_configs.objective_config.training_prediction_skew_detection_config';
const DRIFT = 'model_deployment_monitoring_objective_configs.objective_config.prediction_drift_detection_config';

describe('the Vertex drift monitor against the fake Vertex (real v1 clients over gRPC)', () => {
  let fake: FakeVertex;
  let port: number;
  let clients: VertexClients;
  const grpcOptions = () => ({ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() }) as never;

  beforeEach(async () => {
    fake = new FakeVertex();
    port = await fake.start();
    clients = vertexClients('us-central1', grpcOptions());
  });
  afterEach(async () => {
    await clients.models.close();
    await clients.jobs.close();
    await clients.endpoints.close();
    await fake.stop();
  });

  const only = () => {
    const jobs = [...fake.monitoring.jobs.values()];
    expect(jobs).toHaveLength(1);
    return jobs[0];
  };

  it('the job is the spec, field by field: endpoint, name, labels, one objective config per deployed model, schedule, sampling, alerts', async () => {
    const result = await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    const job = only();
    const endpoint = fake.endpoints.get(result.endpointName!)!;
    expect(result.monitoringJob).toBe(job.name);
    expect(endpoint.modelDeploymentMonitoringJob).toBe(job.name);
    expect(job.name).toMatch(/^projects\/acme-ml-staging\/locations\/us-central1\/modelDeploymentMonitoringJobs\/\d+$/);
    expect(job.endpoint).toBe(result.endpointName);
    expect(job.displayName).toBe('acme-ranker-staging-monitor');
    expect(job.labels).toEqual({ 'managed-by': 'mlspec', 'mlspec-model': 'ranker', 'mlspec-environment': 'staging' });
    // One per deployed model, each with the baseline (bq:// → bigquery_source) and the thresholds for skew and for drift.
    const ids = Object.values(result.deployedModelIds).sort();
    expect(job.modelDeploymentMonitoringObjectiveConfigs.map((c: any) => c.deployedModelId)).toEqual(ids);
    for (const c of job.modelDeploymentMonitoringObjectiveConfigs) {
      expect(c.objectiveConfig).toEqual({
        trainingDataset: { bigquerySource: { inputUri: 'bq://acme-ml-staging.ranker.train' } },
        trainingPredictionSkewDetectionConfig: { skewThresholds: { clicks: { value: 0.25 }, query_length: { value: 0.2 } }, defaultSkewThreshold: { value: 0.3 } },
        predictionDriftDetectionConfig: { driftThresholds: { clicks: { value: 0.25 }, query_length: { value: 0.2 } }, defaultDriftThreshold: { value: 0.3 } },
      });
    }
    // rate(6 hours) → monitor_interval 6 h; dataCapture.percent 20 → sample_rate 0.2; alerts.email → user_emails.
    expect(job.modelDeploymentMonitoringScheduleConfig).toEqual({ monitorInterval: { seconds: '21600' } });
    expect(job.loggingSamplingStrategy).toEqual({ randomSampleConfig: { sampleRate: 0.2 } });
    expect(job.modelMonitoringAlertConfig).toEqual({ emailAlertConfig: { userEmails: ['ml-oncall@acme.com', 'ranker@acme.com'] } });
    // The endpoint captured traffic before the job came: Vertex allows logging, then monitoring (not the other way round).
    expect(endpoint.predictRequestResponseLoggingConfig).toEqual(expect.objectContaining({ enabled: true, samplingRate: 0.2 }));
    expect(fake.log.indexOf('CreateModelDeploymentMonitoringJob')).toBeGreaterThan(fake.log.lastIndexOf('UpdateEndpoint'));
  });

  it('hourly and daily are 1 h and 24 h; a spec without monitoring makes no job and no JobService call', async () => {
    await reconcileVertex(plan({ '3': 100 }, { schedule: 'hourly' }), target, clients, fast);
    expect(only().modelDeploymentMonitoringScheduleConfig.monitorInterval.seconds).toBe('3600');
    await reconcileVertex(plan({ '3': 100 }, { schedule: 'daily' }), target, clients, fast);
    expect(only().modelDeploymentMonitoringScheduleConfig.monitorInterval.seconds).toBe('86400');
    await deleteVertexEndpoint(plan({ '3': 100 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }, OFF), target, clients, fast);
    expect(fake.monitoring.jobs.size).toBe(0);
    expect(Object.keys(fake.calls).filter((m) => /MonitoringJob/.test(m))).toEqual([]);
  });

  it('a gs:// baseline is gcs_source with the format its extension names; a folder is refused with the reason', async () => {
    expect(vertexTrainingDataset('gs://acme-data/ranker/train/*.csv')).toEqual({ dataset: { gcsSource: { uris: ['gs://acme-data/ranker/train/*.csv'] }, dataFormat: 'csv' } });
    expect(vertexTrainingDataset('gs://acme-data/ranker/train.jsonl')).toEqual({ dataset: { gcsSource: { uris: ['gs://acme-data/ranker/train.jsonl'] }, dataFormat: 'jsonl' } });
    expect(vertexTrainingDataset('gs://acme-data/ranker/train-*.tfrecord')).toEqual({ dataset: { gcsSource: { uris: ['gs://acme-data/ranker/train-*.tfrecord'] }, dataFormat: 'tf-record' } });
    expect(vertexTrainingDataset('gs://acme-data/ranker/part.TFRecords')).toEqual({ dataset: { gcsSource: { uris: ['gs://acme-data/ranker/part.TFRecords'] }, dataFormat: 'tf-record' } });
    expect(vertexTrainingDataset('s3://acme-data/train.csv')).toEqual({ problem: 'the monitoring baseline s3://acme-data/train.csv is neither a gs:// nor a bq:// URI' });

    await reconcileVertex(plan({ '3': 100 }, { baseline: 'gs://acme-data/ranker/train/*.jsonl' }), target, clients, fast);
    expect(only().modelDeploymentMonitoringObjectiveConfigs[0].objectiveConfig.trainingDataset).toEqual({ gcsSource: { uris: ['gs://acme-data/ranker/train/*.jsonl'] }, dataFormat: 'jsonl' });
    // A folder is refused by validation, before any deploy (lib/spec/monitoring.ts); the reconciler says the same of a plan made otherwise.
    expect(vertexTrainingDataset('gs://acme-data/ranker/train/')).toEqual({
      problem: 'the monitoring baseline gs://acme-data/ranker/train/ does not name its format: Vertex reads a Cloud Storage baseline as CSV, JSONL or TFRecord files; end monitoring.baseline.vertex with .csv, .jsonl or .tfrecord (a wildcard such as gs://bucket/train/*.csv names several files), or give a BigQuery table (bq://project.dataset.table)',
    });
    expect(() => plan({ '3': 100 }, { baseline: 'gs://acme-data/ranker/train/' })).toThrow(
      'models.ranker.serving.monitoring.baseline.vertex: "gs://acme-data/ranker/train/" names no files: Vertex reads a Cloud Storage baseline as CSV, JSONL or TFRecord files; end it with .csv, .jsonl or .tfrecord (a wildcard such as gs://bucket/train/*.csv names several), or give a BigQuery table (bq://project.dataset.table)',
    );
  });

  it('a second reconcile with the same plan writes nothing (one Get of the job the endpoint names)', async () => {
    await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    expect(fake.writes).toBe(0);
    expect(fake.calls.GetModelDeploymentMonitoringJob).toBe(1);
    expect(fake.calls.ListModelDeploymentMonitoringJobs).toBeUndefined();
  });

  it('a threshold change is one update in place whose mask names only the objective fields that changed', async () => {
    await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    const name = only().name;
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 75, '4': 25 }, { threshold: 0.25 }), target, clients, fast);
    expect(fake.writes).toBe(1);
    expect(fake.calls.UpdateModelDeploymentMonitoringJob).toBe(1);
    expect(fake.monitoring.updateMasks).toEqual([[SKEW, DRIFT]]);
    expect(only().name).toBe(name);
    for (const c of only().modelDeploymentMonitoringObjectiveConfigs) {
      expect(c.objectiveConfig.trainingPredictionSkewDetectionConfig.defaultSkewThreshold).toEqual({ value: 0.25 });
      expect(c.objectiveConfig.predictionDriftDetectionConfig.defaultDriftThreshold).toEqual({ value: 0.25 });
      expect(c.objectiveConfig.trainingDataset).toEqual({ bigquerySource: { inputUri: 'bq://acme-ml-staging.ranker.train' } });
    }
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 75, '4': 25 }, { threshold: 0.25 }), target, clients, fast);
    expect(fake.writes).toBe(0);

    // One feature's threshold.
    await reconcileVertex(plan({ '3': 75, '4': 25 }, { threshold: 0.25, features: { query_length: 0.15, clicks: 0.25 } }), target, clients, fast);
    expect(only().modelDeploymentMonitoringObjectiveConfigs[0].objectiveConfig.predictionDriftDetectionConfig.driftThresholds.query_length).toEqual({ value: 0.15 });
    // The baseline alone.
    await reconcileVertex(plan({ '3': 75, '4': 25 }, { threshold: 0.25, features: { query_length: 0.15, clicks: 0.25 }, baseline: 'bq://acme-ml-staging.ranker.train_v2' }), target, clients, fast);
    expect(fake.monitoring.updateMasks.slice(1)).toEqual([[SKEW, DRIFT], ['model_deployment_monitoring_objective_configs.objective_config.training_dataset']]);
  });

  it('the interval, the sampling and the emails each change in place with their own path; the endpoint’s logging stays as it was', async () => {
    const first = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }, { schedule: 'rate(12 hours)' }), target, clients, fast);
    await reconcileVertex(plan({ '3': 100 }, { schedule: 'rate(12 hours)', percent: 50 }), target, clients, fast);
    await reconcileVertex(plan({ '3': 100 }, { schedule: 'rate(12 hours)', percent: 50, emails: ['ml-oncall@acme.com'] }), target, clients, fast);
    expect(fake.monitoring.updateMasks).toEqual([['model_deployment_monitoring_schedule_config'], ['logging_sampling_strategy'], ['model_monitoring_alert_config']]);
    expect(fake.writes).toBe(3);
    const job = only();
    expect(job.modelDeploymentMonitoringScheduleConfig.monitorInterval.seconds).toBe('43200');
    expect(job.loggingSamplingStrategy.randomSampleConfig.sampleRate).toBe(0.5);
    expect(job.modelMonitoringAlertConfig.emailAlertConfig.userEmails).toEqual(['ml-oncall@acme.com']);
    // Vertex refuses to change request-response logging under a monitoring job: the job's sampling carries the new share.
    expect(fake.calls.UpdateEndpoint).toBeUndefined();
    expect(fake.endpoints.get(first.endpointName!)!.predictRequestResponseLoggingConfig.samplingRate).toBe(0.2);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }, { schedule: 'rate(12 hours)', percent: 50, emails: ['ml-oncall@acme.com'] }), target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('the deployed models’ objective configs follow the split: a version added or removed replaces the configs as a whole', async () => {
    const first = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    const v3 = first.deployedModelIds['ranker-v3'];
    const both = await reconcileVertex(plan({ '3': 50, '4': 50 }), target, clients, fast);
    const v4 = both.deployedModelIds['ranker-v4'];
    expect(only().modelDeploymentMonitoringObjectiveConfigs.map((c: any) => c.deployedModelId)).toEqual([v3, v4].sort());
    await reconcileVertex(plan({ '4': 100 }), target, clients, fast);
    expect(only().modelDeploymentMonitoringObjectiveConfigs.map((c: any) => c.deployedModelId)).toEqual([v4]);
    expect(fake.monitoring.updateMasks).toEqual([['model_deployment_monitoring_objective_configs'], ['model_deployment_monitoring_objective_configs']]);
    // The config of a version that left is updated after it was undeployed.
    expect(fake.log.lastIndexOf('UpdateModelDeploymentMonitoringJob')).toBeGreaterThan(fake.log.lastIndexOf('UndeployModel'));
  });

  it('a staged rollout monitors old and new while it walks, and the last step leaves the configs of what still serves', async () => {
    const rollout = '{ strategy: linear, percent: 50, interval: 5m }';
    const start = Date.UTC(2026, 10, 24, 12);
    let now = start;
    const first = await reconcileVertex(plan({ '3': 100 }, { rollout }), target, clients, { ...fast, now: () => now });
    const staged = await reconcileVertex(plan({ '4': 100 }, { rollout }), target, clients, { ...fast, staged: true, now: () => now });
    expect(staged.rollout).toBeDefined();
    const [v3, v4] = [first.deployedModelIds['ranker-v3'], staged.deployedModelIds['ranker-v4']];
    expect(only().modelDeploymentMonitoringObjectiveConfigs.map((c: any) => c.deployedModelId)).toEqual([v3, v4].sort());
    now = start + 5 * 60_000;
    const progress = await advanceVertexRollout(plan({ '4': 100 }, { rollout }), target, clients, staged.rollout!, undefined, { ...fast, now: () => now });
    expect(progress.done).toBe(true);
    expect(only().modelDeploymentMonitoringObjectiveConfigs.map((c: any) => c.deployedModelId)).toEqual([v4]);
  });

  it('a rolled-back rollout leaves the monitor on the versions that serve again', async () => {
    const rollout = '{ strategy: linear, percent: 50, interval: 5m }';
    const start = Date.UTC(2026, 10, 24, 12);
    const first = await reconcileVertex(plan({ '3': 100 }, { rollout }), target, clients, { ...fast, now: () => start });
    const p = plan({ '4': 100 }, { rollout });
    const staged = await reconcileVertex(p, target, clients, { ...fast, staged: true, now: () => start });
    const failing = { read: async () => ({ requests: 100, errors: 50 }) };
    const rolledBack = { ...p, serving: { ...p.serving!, rollback: { errorRatePercent: 1 } } };
    await expect(advanceVertexRollout(rolledBack, target, clients, staged.rollout!, failing, { ...fast, now: () => start + 60_000 })).rejects.toThrow('rolled back ranker-v4');
    expect(only().modelDeploymentMonitoringObjectiveConfigs.map((c: any) => c.deployedModelId)).toEqual([first.deployedModelIds['ranker-v3']]);
  });

  it('removing serving.monitoring deletes the job before the endpoint’s logging changes; a re-run writes nothing', async () => {
    const first = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }, OFF), target, clients, fast);
    expect(fake.calls.DeleteModelDeploymentMonitoringJob).toBe(1);
    expect(fake.writes).toBe(1);
    expect(fake.monitoring.jobs.size).toBe(0);
    expect(fake.endpoints.get(first.endpointName!)!.modelDeploymentMonitoringJob).toBeUndefined();
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }, OFF), target, clients, fast);
    expect(fake.writes).toBe(0);

    // Monitoring back, then dropped with a new capture share: the job goes first, so Vertex lets the logging change.
    await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }, { off: true, percent: 40 }), target, clients, fast);
    expect(fake.log.filter((m) => m === 'DeleteModelDeploymentMonitoringJob' || m === 'UpdateEndpoint')).toEqual(['DeleteModelDeploymentMonitoringJob', 'UpdateEndpoint']);
    expect(fake.endpoints.get(first.endpointName!)!.predictRequestResponseLoggingConfig.samplingRate).toBe(0.4);
  });

  it('deleting the endpoint deletes its monitoring job first; a retried delete finds nothing to do', async () => {
    await reconcileVertex(plan({ '3': 75, '4': 25 }), target, clients, fast);
    fake.resetCounts();
    await deleteVertexEndpoint(plan({ '3': 75, '4': 25 }), target, clients, fast);
    expect(fake.log.filter((m) => /^(Delete|Undeploy)/.test(m))).toEqual(['DeleteModelDeploymentMonitoringJob', 'UndeployModel', 'UndeployModel', 'DeleteEndpoint']);
    expect(fake.monitoring.jobs.size).toBe(0);
    expect(fake.endpoints.size).toBe(0);
    fake.resetCounts();
    await deleteVertexEndpoint(plan({ '3': 75, '4': 25 }), target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('an endpoint that holds a monitoring job mlspec did not make is refused before anything changes; without monitoring it is left alone', async () => {
    const first = await reconcileVertex(plan({ '3': 100 }, OFF), target, clients, fast);
    const jobs = new v1.JobServiceClient(grpcOptions());
    try {
      const [theirs] = await jobs.createModelDeploymentMonitoringJob({
        parent: 'projects/acme-ml-staging/locations/us-central1',
        modelDeploymentMonitoringJob: {
          displayName: 'hand-made',
          endpoint: first.endpointName,
          modelDeploymentMonitoringObjectiveConfigs: [{ deployedModelId: first.deployedModelIds['ranker-v3'], objectiveConfig: { predictionDriftDetectionConfig: { defaultDriftThreshold: { value: 0.5 } } } }],
          modelDeploymentMonitoringScheduleConfig: { monitorInterval: { seconds: 3600 } },
          loggingSamplingStrategy: { randomSampleConfig: { sampleRate: 0.1 } },
        },
      });
      fake.resetCounts();
      await expect(reconcileVertex(plan({ '3': 50, '4': 50 }), target, clients, fast)).rejects.toThrow(
        `vertex: ranker in staging: endpoint acme-ranker-staging already has monitoring job ${theirs.name} ("hand-made"), which mlspec did not make; Vertex keeps one monitoring job per endpoint: delete that job (gcloud ai model-monitoring-jobs delete), or remove serving.monitoring`,
      );
      expect(fake.writes).toBe(0);
      await reconcileVertex(plan({ '3': 100 }, OFF), target, clients, fast);
      expect(fake.writes).toBe(0);
      expect(fake.monitoring.jobs.has(theirs.name!)).toBe(true);
    } finally {
      await jobs.close();
    }
  });

  it('Vertex monitors deployed models only: an endpoint with none deployed gets no job, and says why', async () => {
    const p = plan({ '3': 100 });
    const first = await reconcileVertex(plan({ '3': 100 }, OFF), target, clients, fast);
    const endpoint = fake.endpoints.get(first.endpointName!)!;
    const call = namedCalls('vertex', target);
    const monitor = await VertexMonitor.open(p, target, clients, endpoint, call);
    try {
      await expect(monitor.reconcile(first.endpointName!, {})).rejects.toThrow(
        'vertex: ranker in staging: Vertex monitors the models deployed on an endpoint, and acme-ranker-staging has none deployed; the monitor is created with the first version that serves',
      );
    } finally {
      await monitor.close();
    }
    expect(fake.calls.CreateModelDeploymentMonitoringJob).toBeUndefined();
  });

  it('an update waits for a new (PENDING) job to run, and says so when it does not, or when the job is paused or failed', async () => {
    fake.monitoring.pendingReads = 2;
    await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    expect(only().state).toBe('JOB_STATE_PENDING');
    await reconcileVertex(plan({ '3': 100 }, { threshold: 0.2 }), target, clients, { ...fast, monitoringWait: { polls: 5, intervalMs: 5 } });
    expect(fake.monitoring.updateMasks).toEqual([[SKEW, DRIFT]]);
    expect(only().state).toBe('JOB_STATE_RUNNING');

    const name = only().name;
    fake.monitoring.setState(name, 'JOB_STATE_PENDING');
    await expect(reconcileVertex(plan({ '3': 100 }, { threshold: 0.1 }), target, clients, { ...fast, monitoringWait: { polls: 2, intervalMs: 500 } })).rejects.toThrow(
      `vertex: ranker in staging: monitoring job ${name} is still JOB_STATE_PENDING after 1s, and Vertex updates only a running job; deploy again once it runs`,
    );
    fake.monitoring.setState(name, 'JOB_STATE_PAUSED');
    await expect(reconcileVertex(plan({ '3': 100 }, { threshold: 0.1 }), target, clients, fast)).rejects.toThrow(
      `vertex: ranker in staging: monitoring job ${name} is paused, and Vertex updates only a running job; resume it (gcloud ai model-monitoring-jobs resume ${name}), then deploy again`,
    );
    fake.monitoring.setState(name, 'JOB_STATE_FAILED');
    fake.monitoring.jobs.get(name)!.error = { code: 9, message: 'The BigQuery table acme-ml-staging.ranker.train was not found.' };
    await expect(reconcileVertex(plan({ '3': 100 }, { threshold: 0.1 }), target, clients, fast)).rejects.toThrow(
      `vertex: ranker in staging: monitoring job ${name} is JOB_STATE_FAILED: The BigQuery table acme-ml-staging.ranker.train was not found.; Vertex updates only a running job: delete it (gcloud ai model-monitoring-jobs delete ${name}) and deploy again to make a new one`,
    );
    // Nothing to change: the state does not matter.
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }, { threshold: 0.2 }), target, clients, fast);
    expect(fake.writes).toBe(0);
  });

  it('a job this deploy made that the endpoint does not name yet is found by its display name, not made twice', async () => {
    const first = await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    const endpoint = fake.endpoints.get(first.endpointName!)!;
    const name = endpoint.modelDeploymentMonitoringJob;
    delete endpoint.modelDeploymentMonitoringJob; // as if the endpoint lagged
    fake.resetCounts();
    await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    expect(fake.calls.ListModelDeploymentMonitoringJobs).toBe(1);
    expect(fake.writes).toBe(0);
    endpoint.modelDeploymentMonitoringJob = name;
  });

  it('names the call and keeps Vertex’s words when a monitoring call fails, after retrying UNAVAILABLE', async () => {
    fake.faults.push({ method: 'CreateModelDeploymentMonitoringJob', code: grpc.status.UNAVAILABLE, times: 1 });
    await reconcileVertex(plan({ '3': 100 }), target, clients, fast);
    expect(fake.calls.CreateModelDeploymentMonitoringJob).toBe(2);
    fake.faults.push({ method: 'UpdateModelDeploymentMonitoringJob', code: grpc.status.PERMISSION_DENIED, times: 1, message: "Permission 'aiplatform.modelDeploymentMonitoringJobs.update' denied" });
    await expect(reconcileVertex(plan({ '3': 100 }, { threshold: 0.2 }), target, clients, fast)).rejects.toThrow(
      "vertex: ranker in staging: update monitoring job failed: 7 PERMISSION_DENIED: Permission 'aiplatform.modelDeploymentMonitoringJobs.update' denied",
    );
  });

  describe('the live report (LiveState.monitoring)', () => {
    const T = (h: number) => Date.UTC(2026, 10, 20, h);

    it('gives the job’s state and its runs, newest first, with the anomalies per feature and signal; a failed latest run fails closed', async () => {
      const { env, model, plan: p } = resolved({ '3': 75, '4': 25 });
      const result = await reconcileVertex(p, target, clients, fast);
      const live = new VertexLiveState(() => clients);
      const job = only();
      const [v3, v4] = [result.deployedModelIds['ranker-v3'], result.deployedModelIds['ranker-v4']];
      // 06:00: clean. 12:00: query_length drifted on v4 (0.31 > its 0.2) and clicks skewed on v3 (0.4 > 0.25). 18:00: the run failed.
      fake.monitoring.addStats(job.name, { deployedModelId: v3, objective: 'RAW_FEATURE_DRIFT', feature: 'query_length', deviation: 0.05, at: T(6) });
      fake.monitoring.addStats(job.name, { deployedModelId: v4, objective: 'RAW_FEATURE_SKEW', feature: 'clicks', deviation: 0.1, at: T(6) });
      fake.monitoring.addStats(job.name, { deployedModelId: v4, objective: 'RAW_FEATURE_DRIFT', feature: 'query_length', deviation: 0.31, at: T(12) });
      fake.monitoring.addStats(job.name, { deployedModelId: v3, objective: 'RAW_FEATURE_SKEW', feature: 'clicks', deviation: 0.4, at: T(12) });
      fake.monitoring.addStats(job.name, { deployedModelId: v3, objective: 'RAW_FEATURE_DRIFT', feature: 'query_length', deviation: 0.1, at: T(12) });
      fake.monitoring.setLatestRun(job.name, T(18), { code: 9, message: 'No prediction requests were logged in this window.' });

      const report = await live.monitoring!(env, model);
      expect(report).toEqual({
        monitor: 'acme-ranker-staging-monitor',
        state: 'JOB_STATE_RUNNING',
        runs: [
          { at: new Date(T(18)), status: 'failed', violations: [{ signal: 'monitoring run failed', detail: 'No prediction requests were logged in this window.' }] },
          {
            at: new Date(T(12)),
            status: 'anomalies',
            violations: expect.arrayContaining([
              { signal: 'data drift over time', feature: 'query_length', detail: 'ranker-v4: distance 0.31 > threshold 0.2' },
              { signal: 'data drift', feature: 'clicks', detail: 'ranker-v3: distance 0.4 > threshold 0.25' },
            ]),
          },
          { at: new Date(T(6)), status: 'no anomalies', violations: [] },
        ],
      });
      expect(report!.runs[1].violations).toHaveLength(2);
      // One search per deployed model the job monitors.
      expect(fake.calls.SearchModelDeploymentMonitoringStatsAnomalies).toBe(2);

      // Since 09:00: the older run is left out, by Vertex's start_time.
      const since = await live.monitoring!(env, model, new Date(T(9)));
      expect(since!.runs.map((r) => r.at)).toEqual([new Date(T(18)), new Date(T(12))]);
    });

    it('reads every page of statistics (Vertex sends at most 1000 windows a response)', async () => {
      const { env, model, plan: p } = resolved({ '3': 100 });
      const result = await reconcileVertex(p, target, clients, fast);
      const job = only();
      for (let i = 0; i < 1200; i++) fake.monitoring.addStats(job.name, { deployedModelId: result.deployedModelIds['ranker-v3'], objective: 'RAW_FEATURE_DRIFT', feature: 'clicks', deviation: i === 1100 ? 0.9 : 0.01, at: T(0) + i * 3_600_000 });
      fake.resetCounts();
      const report = await new VertexLiveState(() => clients).monitoring!(env, model);
      expect(fake.calls.SearchModelDeploymentMonitoringStatsAnomalies).toBe(2);
      expect(report!.runs).toHaveLength(1200);
      expect(report!.runs.filter((r) => r.violations.length)).toEqual([{ at: new Date(T(0) + 1100 * 3_600_000), status: 'anomalies', violations: [{ signal: 'data drift over time', feature: 'clicks', detail: 'ranker-v3: distance 0.9 > threshold 0.25' }] }]);
    });

    it('is undefined without an endpoint, or with an endpoint that has no monitoring job', async () => {
      const without = resolved({ '3': 100 }, OFF);
      const live = new VertexLiveState(() => clients);
      expect(await live.monitoring!(without.env, without.model)).toBeUndefined();
      await reconcileVertex(without.plan, target, clients, fast);
      expect(await live.monitoring!(without.env, without.model)).toBeUndefined();
    });
  });

  it('monitoringJobChanges compares what the plan sets, not what Vertex adds (output-only fields, labels it does not own)', () => {
    const p = plan({ '3': 100 });
    const want = { ...vertexMonitoringJob(p, target, 'projects/acme-ml-staging/locations/us-central1/endpoints/1', { 'ranker-v3': '7' }), name: 'x' };
    const live = { ...want, state: 'JOB_STATE_RUNNING' as const, labels: { ...want.labels, team: 'search' }, bigqueryTables: [{ bigqueryTablePath: 'bq://x.y.z' }], modelDeploymentMonitoringScheduleConfig: { monitorInterval: { seconds: '21600' } } };
    expect(monitoringJobChanges(live as never, want)).toEqual([]);
    expect(vertexMonitorReport({ displayName: 'm', state: 'JOB_STATE_RUNNING' }, [], {})).toEqual({ monitor: 'm', state: 'JOB_STATE_RUNNING', runs: [] });
  });
});
