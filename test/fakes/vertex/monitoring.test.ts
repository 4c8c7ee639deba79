import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/aiplatform';
import { googleAuthLibrary } from 'google-gax';
import { FakeVertex, WRITES } from './server';

/**
 * The fake's model deployment monitoring (./monitoring.ts), driven through the real v1 JobServiceClient over gRPC: each
 * rule it cites (model_deployment_monitoring_job.proto, model_monitoring.proto, io.proto, job_service.proto,
 * job_state.proto, endpoint.proto, the live refusal of python-aiplatform#2361, and the logging lock of "Online inference
 * logging"), the job's states, updates by mask, deletion, and the statistics search with its paging.
 */
describe('the fake Vertex model deployment monitoring', () => {
  const parent = 'projects/p/locations/us-central1';
  const endpointName = `${parent}/endpoints/9`;
  let fake: FakeVertex;
  let jobs: InstanceType<typeof v1.JobServiceClient>;
  let endpoints: InstanceType<typeof v1.EndpointServiceClient>;

  beforeAll(async () => {
    fake = new FakeVertex();
    const port = await fake.start();
    const options = { apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never;
    jobs = new v1.JobServiceClient(options);
    endpoints = new v1.EndpointServiceClient(options);
  });
  beforeEach(() => {
    fake.monitoring.reset();
    fake.endpoints.clear();
    fake.endpoints.set(endpointName, { name: endpointName, displayName: 'e', deployedModels: [{ id: '1', displayName: 'm-v1' }, { id: '2', displayName: 'm-v2' }], trafficSplit: { '1': 50, '2': 50 } });
    fake.resetCounts();
  });
  afterAll(async () => {
    await jobs.close();
    await endpoints.close();
    await fake.stop();
  });

  type Body = Record<string, any>;
  const objective = (): Body => ({
    trainingDataset: { bigquerySource: { inputUri: 'bq://p.d.t' } },
    trainingPredictionSkewDetectionConfig: { skewThresholds: { a: { value: 0.2 } }, defaultSkewThreshold: { value: 0.3 } },
    predictionDriftDetectionConfig: { driftThresholds: { a: { value: 0.2 } }, defaultDriftThreshold: { value: 0.3 } },
  });
  const job = (over: Body = {}): Body => ({
    displayName: 'e-monitor',
    endpoint: endpointName,
    labels: { 'managed-by': 'mlspec' },
    modelDeploymentMonitoringObjectiveConfigs: [
      { deployedModelId: '1', objectiveConfig: objective() },
      { deployedModelId: '2', objectiveConfig: objective() },
    ],
    modelDeploymentMonitoringScheduleConfig: { monitorInterval: { seconds: 3600 } },
    loggingSamplingStrategy: { randomSampleConfig: { sampleRate: 0.2 } },
    modelMonitoringAlertConfig: { emailAlertConfig: { userEmails: ['a@b.c'] } },
    ...over,
  });
  const create = async (over: Body = {}) => (await jobs.createModelDeploymentMonitoringJob({ parent, modelDeploymentMonitoringJob: job(over) as never }))[0];
  const running = async (over: Body = {}) => {
    const created = await create(over);
    return (await jobs.getModelDeploymentMonitoringJob({ name: created.name }))[0];
  };

  it('creates a PENDING job on the endpoint, which names it; the next read finds it RUNNING; output-only fields sent are ignored', async () => {
    const created = await create({ state: 'JOB_STATE_FAILED', name: 'ignored', createTime: { seconds: 1 } });
    expect(created.name).toMatch(/^projects\/p\/locations\/us-central1\/modelDeploymentMonitoringJobs\/\d+$/);
    expect(created.state).toBe('JOB_STATE_PENDING');
    expect(Number(created.createTime!.seconds)).toBeGreaterThan(1);
    expect(fake.endpoints.get(endpointName)!.modelDeploymentMonitoringJob).toBe(created.name);
    expect(created.bigqueryTables!.map((t) => t.bigqueryTablePath)).toEqual(['bq://p.model_deployment_monitoring_9.serving_predict', 'bq://p.model_deployment_monitoring_9.training_predict']);
    const [got] = await jobs.getModelDeploymentMonitoringJob({ name: created.name });
    expect(got.state).toBe('JOB_STATE_RUNNING');
    const [endpoint] = await endpoints.getEndpoint({ name: endpointName });
    expect(endpoint.modelDeploymentMonitoringJob).toBe(created.name);
    expect(WRITES.has('CreateModelDeploymentMonitoringJob')).toBe(true);
  });

  it('stays PENDING for pendingReads reads', async () => {
    fake.monitoring.pendingReads = 2;
    const created = await create();
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await jobs.getModelDeploymentMonitoringJob({ name: created.name }))[0].state);
    expect(states).toEqual(['JOB_STATE_PENDING', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING']);
  });

  it('refuses a job with no objective config in Vertex’s words (python-aiplatform#2361)', async () => {
    await expect(create({ modelDeploymentMonitoringObjectiveConfigs: [] })).rejects.toThrow(
      '3 INVALID_ARGUMENT: List of found errors:\t1.Field: model_deployment_monitoring_job; Message: model_deployment_monitoring_objective_configs is empty in ModelDeploymentMonitoringJob.\t',
    );
  });

  it('lists every REQUIRED field that is missing', async () => {
    await expect(create({ displayName: '', endpoint: '', modelDeploymentMonitoringScheduleConfig: undefined, loggingSamplingStrategy: undefined })).rejects.toThrow(
      'List of found errors:\t1.Field: display_name; Message: Required field is not set.\t2.Field: endpoint; Message: Required field is not set.\t3.Field: model_deployment_monitoring_schedule_config; Message: Required field is not set.\t4.Field: logging_sampling_strategy; Message: Required field is not set.\t',
    );
    await expect(jobs.createModelDeploymentMonitoringJob({ parent })).rejects.toThrow('1.Field: model_deployment_monitoring_job; Message: Required field is not set.');
    await expect(jobs.createModelDeploymentMonitoringJob({ parent: 'p', modelDeploymentMonitoringJob: job() as never })).rejects.toThrow('1.Field: parent; Message: Invalid parent p: must be projects/{project}/locations/{location}.');
  });

  it('refuses a deployed model the endpoint does not serve, one configured twice, and an endpoint that does not exist', async () => {
    await expect(create({ modelDeploymentMonitoringObjectiveConfigs: [{ deployedModelId: '7', objectiveConfig: objective() }] })).rejects.toThrow(
      '1.Field: model_deployment_monitoring_objective_configs[0].deployed_model_id; Message: Invalid model ID 7. The model ID must be one of [1,2].',
    );
    await expect(create({ modelDeploymentMonitoringObjectiveConfigs: [{ deployedModelId: '1', objectiveConfig: objective() }, { deployedModelId: '1', objectiveConfig: objective() }] })).rejects.toThrow(
      '1.Field: model_deployment_monitoring_objective_configs[1].deployed_model_id; Message: Deployed model 1 is configured twice.',
    );
    await expect(create({ endpoint: `${parent}/endpoints/404` })).rejects.toThrow(`5 NOT_FOUND: Endpoint ${parent}/endpoints/404 is not found.`);
    await expect(create({ endpoint: 'projects/q/locations/us-central1/endpoints/9' })).rejects.toThrow('1.Field: endpoint; Message: Endpoint projects/q/locations/us-central1/endpoints/9 is not in projects/p/locations/us-central1.');
  });

  it('refuses a second job on the endpoint (endpoint.proto: the endpoint names one job)', async () => {
    const first = await create();
    await expect(create({ displayName: 'another' })).rejects.toThrow(`6 ALREADY_EXISTS: Endpoint ${endpointName} already has a model deployment monitoring job: ${first.name}.`);
  });

  it('holds the training dataset, the sampling rate and the alert channels to model_monitoring.proto and io.proto', async () => {
    const with_ = (over: Body) => create({ modelDeploymentMonitoringObjectiveConfigs: [{ deployedModelId: '1', objectiveConfig: { ...objective(), ...over } }] });
    await expect(with_({ trainingDataset: undefined })).rejects.toThrow('Field: model_deployment_monitoring_objective_configs[0].objective_config.training_dataset; Message: training_dataset must be set for training-prediction skew detection.');
    await expect(with_({ trainingDataset: { gcsSource: { uris: ['gs://b/train/'] } } })).rejects.toThrow('Field: model_deployment_monitoring_objective_configs[0].objective_config.training_dataset.data_format; Message: Data format "" is not one of tf-record, csv or jsonl.');
    await expect(with_({ trainingDataset: { gcsSource: { uris: [] }, dataFormat: 'csv' } })).rejects.toThrow('Field: model_deployment_monitoring_objective_configs[0].objective_config.training_dataset.gcs_source.uris; Message: Required field is not set.');
    await expect(with_({ trainingDataset: { gcsSource: { uris: ['s3://b/t.csv'] }, dataFormat: 'csv' } })).rejects.toThrow('Message: Invalid Cloud Storage URI s3://b/t.csv.');
    await expect(with_({ trainingDataset: { bigquerySource: { inputUri: 'bq://p.d' } } })).rejects.toThrow('Message: Invalid BigQuery path bq://p.d: use bq://projectId.bqDatasetId.bqTableId.');
    await expect(with_({ trainingDataset: { bigquerySource: { inputUri: `bq://p.d.${'t'.repeat(2000)}` } } })).rejects.toThrow('Message: BigQuery URI is 2009 characters long; the limit is 2000.');
    await expect(with_({ trainingDataset: {} })).rejects.toThrow('Message: One of dataset, gcs_source or bigquery_source must be set.');
    await expect(create({ loggingSamplingStrategy: { randomSampleConfig: { sampleRate: 1.5 } } })).rejects.toThrow('1.Field: logging_sampling_strategy.random_sample_config.sample_rate; Message: Sample rate 1.5 is not in (0, 1].');
    await expect(create({ loggingSamplingStrategy: {} })).rejects.toThrow('Message: Sample rate 0 is not in (0, 1].');
    await expect(create({ modelDeploymentMonitoringScheduleConfig: {} })).rejects.toThrow('1.Field: model_deployment_monitoring_schedule_config.monitor_interval; Message: Required field is not set.');
    await expect(create({ modelMonitoringAlertConfig: { notificationChannels: ['channel-1'] } })).rejects.toThrow('1.Field: model_monitoring_alert_config.notification_channels[0]; Message: Invalid notification channel channel-1.');
    await expect(create({ labels: { Team: 'x' } })).rejects.toThrow('Label key "Team" can only contain lowercase letters, numeric characters, underscores and dashes.');
    // A drift-only job needs no training dataset; gs:// with a format is taken.
    await expect(with_({ trainingDataset: undefined, trainingPredictionSkewDetectionConfig: undefined })).resolves.toEqual(expect.objectContaining({ state: 'JOB_STATE_PENDING' }));
  });

  it('rounds the monitor interval up to the next full hour', async () => {
    const created = await create({ modelDeploymentMonitoringScheduleConfig: { monitorInterval: { seconds: 5400 } } });
    expect(created.modelDeploymentMonitoringScheduleConfig!.monitorInterval!.seconds).toBe('7200');
  });

  it('updates a RUNNING job by mask through a long-running operation, and only the masked fields', async () => {
    const live = await running();
    const body = job({ name: live.name, loggingSamplingStrategy: { randomSampleConfig: { sampleRate: 0.5 } }, modelMonitoringAlertConfig: { emailAlertConfig: { userEmails: ['x@y.z'] } } });
    const [op] = await jobs.updateModelDeploymentMonitoringJob({ modelDeploymentMonitoringJob: body as never, updateMask: { paths: ['logging_sampling_strategy'] } });
    expect(fake.monitoring.jobs.get(live.name!)!.state).toBe('JOB_STATE_UPDATING');
    const [updated] = await op.promise();
    // The operation's response is decoded by the client's LRO decoder, which gives enums as numbers (3: JOB_STATE_RUNNING).
    expect(updated.state).toBe(3);
    expect((await jobs.getModelDeploymentMonitoringJob({ name: live.name }))[0].state).toBe('JOB_STATE_RUNNING');
    expect(updated.loggingSamplingStrategy!.randomSampleConfig!.sampleRate).toBe(0.5);
    expect(updated.modelMonitoringAlertConfig!.emailAlertConfig!.userEmails).toEqual(['a@b.c']);
    expect(fake.monitoring.updateMasks).toEqual([['logging_sampling_strategy']]);
  });

  it('a nested objective path replaces that field of each deployed model’s config, from the config sent for it', async () => {
    const live = await running();
    const changed = objective();
    changed.trainingPredictionSkewDetectionConfig.defaultSkewThreshold = { value: 0.1 };
    changed.predictionDriftDetectionConfig.defaultDriftThreshold = { value: 0.9 }; // sent, not masked: kept as it was
    const configs = [{ deployedModelId: '2', objectiveConfig: changed }, { deployedModelId: '1', objectiveConfig: changed }];
    const [op] = await jobs.updateModelDeploymentMonitoringJob({
      modelDeploymentMonitoringJob: job({ name: live.name, modelDeploymentMonitoringObjectiveConfigs: configs }) as never,
      updateMask: { paths: ['model_deployment_monitoring_objective_configs.objective_config.training_prediction_skew_detection_config'] },
    });
    const [updated] = await op.promise();
    for (const c of updated.modelDeploymentMonitoringObjectiveConfigs!) {
      expect(c.objectiveConfig!.trainingPredictionSkewDetectionConfig!.defaultSkewThreshold!.value).toBe(0.1);
      expect(c.objectiveConfig!.predictionDriftDetectionConfig!.defaultDriftThreshold!.value).toBe(0.3);
    }
  });

  it('refuses an update of a job that is not RUNNING, an empty or unknown mask, both the objective configs and their fields, and a config missing for a monitored model', async () => {
    const created = await create();
    const update = (paths: string[], over: Body = {}) => jobs.updateModelDeploymentMonitoringJob({ modelDeploymentMonitoringJob: job({ name: created.name, ...over }) as never, updateMask: { paths } });
    await expect(update(['labels'])).rejects.toThrow(`9 FAILED_PRECONDITION: ModelDeploymentMonitoringJob ${created.name} is in state JOB_STATE_PENDING; only a job in state JOB_STATE_RUNNING can be updated.`);
    await jobs.getModelDeploymentMonitoringJob({ name: created.name });
    await expect(update([])).rejects.toThrow('1.Field: update_mask; Message: Required field is not set.');
    await expect(update(['endpoint'])).rejects.toThrow('1.Field: update_mask.paths; Message: Field endpoint cannot be updated.');
    await expect(update(['model_deployment_monitoring_objective_configs', 'model_deployment_monitoring_objective_configs.objective_config.training_dataset'])).rejects.toThrow(
      'Message: Give either model_deployment_monitoring_objective_configs or its nested fields, not both.',
    );
    await expect(update(['model_deployment_monitoring_objective_configs.objective_config.training_dataset'], { modelDeploymentMonitoringObjectiveConfigs: [{ deployedModelId: '1', objectiveConfig: objective() }] })).rejects.toThrow(
      'Message: No objective config was sent for deployed model 2, which the job monitors.',
    );
    // The merged job is held to the create rules.
    await expect(update(['logging_sampling_strategy'], { loggingSamplingStrategy: { randomSampleConfig: { sampleRate: 0 } } })).rejects.toThrow('Message: Sample rate 0 is not in (0, 1].');
    await expect(update(['model_deployment_monitoring_objective_configs'], { modelDeploymentMonitoringObjectiveConfigs: [] })).rejects.toThrow('model_deployment_monitoring_objective_configs is empty in ModelDeploymentMonitoringJob.');
    await expect(jobs.updateModelDeploymentMonitoringJob({ modelDeploymentMonitoringJob: job({ name: `${parent}/modelDeploymentMonitoringJobs/0` }) as never, updateMask: { paths: ['labels'] } })).rejects.toThrow(
      `5 NOT_FOUND: ModelDeploymentMonitoringJob ${parent}/modelDeploymentMonitoringJobs/0 is not found.`,
    );
    expect(fake.monitoring.updateMasks).toEqual([]);
  });

  it('* updates every updatable field', async () => {
    const live = await running();
    const [op] = await jobs.updateModelDeploymentMonitoringJob({ modelDeploymentMonitoringJob: job({ name: live.name, displayName: 'renamed' }) as never, updateMask: { paths: ['*'] } });
    expect((await op.promise())[0].displayName).toBe('renamed');
  });

  it('locks the endpoint’s request-response logging while a job is on it ("Online inference logging")', async () => {
    await create();
    await expect(endpoints.updateEndpoint({ endpoint: { name: endpointName, predictRequestResponseLoggingConfig: { enabled: true, samplingRate: 0.5 } }, updateMask: { paths: ['predict_request_response_logging_config'] } })).rejects.toThrow(
      `9 FAILED_PRECONDITION: Endpoint ${endpointName} has model deployment monitoring job ${fake.endpoints.get(endpointName)!.modelDeploymentMonitoringJob}; its request-response logging config cannot be changed.`,
    );
    await expect(endpoints.updateEndpoint({ endpoint: { name: endpointName, trafficSplit: { '1': 100 } }, updateMask: { paths: ['traffic_split'] } })).resolves.toBeDefined();
  });

  it('deletes through a long-running operation and frees the endpoint; a job gone is NOT_FOUND', async () => {
    const created = await create();
    const [op] = await jobs.deleteModelDeploymentMonitoringJob({ name: created.name });
    await op.promise();
    expect(fake.monitoring.jobs.size).toBe(0);
    expect(fake.endpoints.get(endpointName)!.modelDeploymentMonitoringJob).toBeUndefined();
    await expect(jobs.deleteModelDeploymentMonitoringJob({ name: created.name })).rejects.toThrow(`5 NOT_FOUND: ModelDeploymentMonitoringJob ${created.name} is not found.`);
    await expect(create()).resolves.toBeDefined();
  });

  it('pauses a running job and resumes a paused one, and refuses the others', async () => {
    const live = await running();
    await jobs.pauseModelDeploymentMonitoringJob({ name: live.name });
    expect((await jobs.getModelDeploymentMonitoringJob({ name: live.name }))[0].state).toBe('JOB_STATE_PAUSED');
    await expect(jobs.pauseModelDeploymentMonitoringJob({ name: live.name })).rejects.toThrow(`9 FAILED_PRECONDITION: ModelDeploymentMonitoringJob ${live.name} is in state JOB_STATE_PAUSED and cannot be paused.`);
    await jobs.resumeModelDeploymentMonitoringJob({ name: live.name });
    await expect(jobs.resumeModelDeploymentMonitoringJob({ name: live.name })).rejects.toThrow(`9 FAILED_PRECONDITION: ModelDeploymentMonitoringJob ${live.name} is in state JOB_STATE_RUNNING; only a paused job can be resumed.`);
  });

  it('lists by display name with paging', async () => {
    const created = await create();
    const [found] = await jobs.listModelDeploymentMonitoringJobs({ parent, filter: 'display_name="e-monitor"' }, { autoPaginate: false });
    expect(found.map((j) => j.name)).toEqual([created.name]);
    const [none] = await jobs.listModelDeploymentMonitoringJobs({ parent, filter: 'display_name="other"' }, { autoPaginate: false });
    expect(none).toEqual([]);
  });

  describe('SearchModelDeploymentMonitoringStatsAnomalies', () => {
    const at = (h: number) => Date.UTC(2026, 10, 20, h);

    it('returns the windows of one deployed model per objective, with the threshold used and the anomaly count', async () => {
      const live = await running();
      fake.monitoring.addStats(live.name!, { deployedModelId: '1', objective: 'RAW_FEATURE_DRIFT', feature: 'a', deviation: 0.25, at: at(1) });
      fake.monitoring.addStats(live.name!, { deployedModelId: '1', objective: 'RAW_FEATURE_DRIFT', feature: 'b', deviation: 0.31, at: at(1) });
      fake.monitoring.addStats(live.name!, { deployedModelId: '1', objective: 'RAW_FEATURE_SKEW', feature: 'a', deviation: 0.1, threshold: 0.05, at: at(2) });
      fake.monitoring.addStats(live.name!, { deployedModelId: '2', objective: 'RAW_FEATURE_DRIFT', feature: 'a', deviation: 0.9, at: at(1) });
      const [stats] = await jobs.searchModelDeploymentMonitoringStatsAnomalies({ modelDeploymentMonitoringJob: live.name, deployedModelId: '1', objectives: [{ type: 'RAW_FEATURE_DRIFT' }, { type: 'RAW_FEATURE_SKEW' }] });
      expect(stats.map((s) => [s.objective, s.deployedModelId, s.anomalyCount, s.featureStats!.map((f) => [f.featureDisplayName, f.threshold!.value, f.predictionStats!.map((p) => [p.distributionDeviation, p.anomalyDetectionThreshold, Number(p.endTime!.seconds) * 1000])])])).toEqual([
        ['RAW_FEATURE_DRIFT', '1', 2, [['a', 0.2, [[0.25, 0.2, at(1)]]], ['b', 0.3, [[0.31, 0.3, at(1)]]]]],
        ['RAW_FEATURE_SKEW', '1', 1, [['a', 0.2, [[0.1, 0.05, at(2)]]]]],
      ]);
      expect(Number(stats[0].featureStats![0].predictionStats![0].startTime!.seconds) * 1000).toBe(at(0));
      const [skewOnly] = await jobs.searchModelDeploymentMonitoringStatsAnomalies({ modelDeploymentMonitoringJob: live.name, deployedModelId: '1', objectives: [{ type: 'RAW_FEATURE_SKEW' }], startTime: { seconds: at(2) / 1000 } });
      expect(skewOnly.map((s) => s.objective)).toEqual(['RAW_FEATURE_SKEW']);
      const [late] = await jobs.searchModelDeploymentMonitoringStatsAnomalies({ modelDeploymentMonitoringJob: live.name, deployedModelId: '1', objectives: [{ type: 'RAW_FEATURE_DRIFT' }], startTime: { seconds: at(2) / 1000 } });
      expect(late).toEqual([]);
      const [one] = await jobs.searchModelDeploymentMonitoringStatsAnomalies({ modelDeploymentMonitoringJob: live.name, deployedModelId: '1', featureDisplayName: 'b', objectives: [{ type: 'RAW_FEATURE_DRIFT' }] });
      expect(one[0].featureStats!.map((f) => f.featureDisplayName)).toEqual(['b']);
    });

    it('pages at most 1000 windows (or page_size) a response', async () => {
      const live = await running();
      for (let i = 0; i < 5; i++) fake.monitoring.addStats(live.name!, { deployedModelId: '1', objective: 'RAW_FEATURE_DRIFT', feature: 'a', deviation: 0.1, at: at(i) });
      const request = { modelDeploymentMonitoringJob: live.name, deployedModelId: '1', objectives: [{ type: 'RAW_FEATURE_DRIFT' as const }], pageSize: 2 };
      const [page, , response] = await jobs.searchModelDeploymentMonitoringStatsAnomalies(request, { autoPaginate: false });
      expect(page[0].featureStats![0].predictionStats).toHaveLength(2);
      expect(response!.nextPageToken).toBe('2');
      const [all] = await jobs.searchModelDeploymentMonitoringStatsAnomalies({ ...request, pageSize: undefined });
      expect(all.flatMap((s) => s.featureStats!.flatMap((f) => f.predictionStats!))).toHaveLength(5);
    });

    it('requires the job, the deployed model and a known objective', async () => {
      const live = await running();
      await expect(jobs.searchModelDeploymentMonitoringStatsAnomalies({ modelDeploymentMonitoringJob: live.name }, { autoPaginate: false })).rejects.toThrow(
        'List of found errors:\t1.Field: deployed_model_id; Message: Required field is not set.\t2.Field: objectives; Message: Required field is not set.\t',
      );
      await expect(jobs.searchModelDeploymentMonitoringStatsAnomalies({ modelDeploymentMonitoringJob: live.name, deployedModelId: '1', objectives: [{}] }, { autoPaginate: false })).rejects.toThrow(
        '1.Field: objectives[0].type; Message: Invalid objective type MODEL_DEPLOYMENT_MONITORING_OBJECTIVE_TYPE_UNSPECIFIED.',
      );
      await expect(jobs.searchModelDeploymentMonitoringStatsAnomalies({ modelDeploymentMonitoringJob: `${parent}/modelDeploymentMonitoringJobs/0`, deployedModelId: '1', objectives: [{ type: 'RAW_FEATURE_DRIFT' }] }, { autoPaginate: false })).rejects.toThrow(
        `5 NOT_FOUND: ModelDeploymentMonitoringJob ${parent}/modelDeploymentMonitoringJobs/0 is not found.`,
      );
    });

    it('refuses, in the test, statistics of a deployed model the job does not monitor', async () => {
      const live = await running();
      expect(() => fake.monitoring.addStats(live.name!, { deployedModelId: '9', objective: 'RAW_FEATURE_DRIFT', feature: 'a', deviation: 0.1, at: at(1) })).toThrow(`${live.name} does not monitor deployed model 9`);
    });
  });
});
