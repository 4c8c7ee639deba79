import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/aiplatform';
import { googleAuthLibrary } from 'google-gax';
import { FakeVertex, WRITES } from './server';

/**
 * The fake's JobService, driven through the real v1 JobServiceClient over gRPC: CustomJob and
 * HyperparameterTuningJob creation, the state machine the test drives (and the automatic one), cancellation
 * as job_service.proto describes it, trials with final measurements, list filters, and each request check
 * jobs.ts cites (custom_job.proto, hyperparameter_tuning_job.proto, study.proto, machine_resources.proto,
 * env_var.proto, the Distributed training docs, a live refusal quoted in prefect-gcp#175).
 */
describe('the fake Vertex JobService', () => {
  const parent = 'projects/p/locations/us-central1';
  let fake: FakeVertex;
  let jobs: InstanceType<typeof v1.JobServiceClient>;

  // One server for the file; each test starts from an empty JobService, zero counts, no faults and the real clock.
  beforeAll(async () => {
    fake = new FakeVertex();
    const port = await fake.start();
    jobs = new v1.JobServiceClient({ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never);
  });
  beforeEach(() => {
    fake.jobs.reset();
    fake.resetCounts();
    fake.faults.length = 0;
    fake.now = () => Date.now();
  });
  afterAll(async () => {
    await jobs.close();
    await fake.stop();
  });

  // int64 fields (replica_count, integer ranges) travel as strings with longs: String, so the body uses strings to round-trip exactly.
  const pool = () => ({
    machineSpec: { machineType: 'a2-highgpu-1g', acceleratorType: 'NVIDIA_TESLA_A100', acceleratorCount: 1 },
    replicaCount: '1',
    diskSpec: { bootDiskType: 'pd-ssd', bootDiskSizeGb: 200 },
    containerSpec: {
      imageUri: 'us-docker.pkg.dev/p/train/ranker:1',
      command: ['python', '-m', 'train'],
      args: ['--epochs=3'],
      env: [{ name: 'MLSPEC_RUN', value: 'r1' }],
    },
  });
  // Bodies are loose objects: some cases send what the typed request would not allow.
  type Body = Record<string, any>;
  const customJob = (over: Body = {}): Body => ({
    displayName: 'train-ranker',
    labels: { team: 'ranker', 'mlspec-run': 'r1' },
    jobSpec: { workerPoolSpecs: [pool()], scheduling: { strategy: 'SPOT', timeout: { seconds: '3600' } }, baseOutputDirectory: { outputUriPrefix: 'gs://b/runs/r1' } },
    ...over,
  });
  const tuningJob = (over: Body = {}): Body => ({
    displayName: 'tune-ranker',
    studySpec: {
      metrics: [{ metricId: 'auc', goal: 'MAXIMIZE' }],
      parameters: [
        { parameterId: 'lr', doubleValueSpec: { minValue: 0.0001, maxValue: 0.1 }, scaleType: 'UNIT_LOG_SCALE' },
        { parameterId: 'layers', integerValueSpec: { minValue: '2', maxValue: '8' }, scaleType: 'UNIT_LINEAR_SCALE' },
        { parameterId: 'optimizer', categoricalValueSpec: { values: ['adam', 'sgd'] } },
      ],
      algorithm: 'RANDOM_SEARCH',
    },
    maxTrialCount: 4,
    parallelTrialCount: 2,
    trialJobSpec: { workerPoolSpecs: [pool()] },
    ...over,
  });

  async function createJob(body: Body) {
    const [job] = await jobs.createCustomJob({ parent, customJob: body });
    return job;
  }
  async function state(name: string) {
    const [job] = await jobs.getCustomJob({ name });
    return job;
  }
  const seconds = (t: unknown) => Number((t as { seconds: string } | null)?.seconds ?? 0);

  it('creates a CustomJob QUEUED with a name and createTime, and GetCustomJob returns exactly the body that was sent', async () => {
    fake.now = () => Date.parse('2026-03-01T10:00:00Z');
    const sent = customJob();
    const created = await createJob(sent);
    expect(created.name).toMatch(/^projects\/p\/locations\/us-central1\/customJobs\/\d+$/);
    expect(created.state).toBe('JOB_STATE_QUEUED');
    expect(seconds(created.createTime)).toBe(Date.parse('2026-03-01T10:00:00Z') / 1000);
    const got = await state(created.name!);
    // The client fills every unset field with its default; everything that was sent comes back as sent.
    expect(got).toMatchObject(sent);
    // What the fake stored is the request body plus the output-only fields, nothing else.
    expect(fake.jobs.customJobs.get(created.name!)).toEqual({ ...sent, name: created.name, state: 'JOB_STATE_QUEUED', createTime: { seconds: String(Date.parse('2026-03-01T10:00:00Z') / 1000), nanos: 0 }, updateTime: expect.anything() });
    expect(fake.calls).toEqual(expect.objectContaining({ CreateCustomJob: 1, GetCustomJob: 1 }));
    expect(fake.writes).toBe(1);
  });

  it('ignores output-only fields sent on create (field_behavior.proto OUTPUT_ONLY)', async () => {
    const created = await createJob({ ...customJob(), state: 'JOB_STATE_SUCCEEDED', error: { code: 5, message: 'x' } });
    expect(created.state).toBe('JOB_STATE_QUEUED');
    expect(created.error).toBeFalsy();
  });

  it('moves a job QUEUED → PENDING → RUNNING → SUCCEEDED as the test drives it, with startTime, endTime and updateTime', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    fake.now = () => now;
    const { name } = await createJob(customJob());
    now += 60_000;
    fake.advanceJob(name!, 'JOB_STATE_PENDING');
    expect((await state(name!)).state).toBe('JOB_STATE_PENDING');
    now += 60_000;
    fake.advanceJob(name!, 'JOB_STATE_RUNNING');
    const running = await state(name!);
    expect(running.state).toBe('JOB_STATE_RUNNING');
    expect(seconds(running.startTime)).toBe(now / 1000);
    expect(running.endTime).toBeFalsy();
    now += 600_000;
    fake.succeedJob(name!);
    const done = await state(name!);
    expect(done.state).toBe('JOB_STATE_SUCCEEDED');
    expect(seconds(done.startTime)).toBe(now / 1000 - 600);
    expect(seconds(done.endTime)).toBe(now / 1000);
    expect(seconds(done.updateTime)).toBe(now / 1000);
    expect(done.error).toBeFalsy();
    // Nothing leaves a final state.
    expect(() => fake.advanceJob(name!, 'JOB_STATE_RUNNING')).toThrow(/final state/);
  });

  it('in automatic mode moves a job one state per Get, so a poller sees PENDING, RUNNING, then SUCCEEDED', async () => {
    fake.jobs.autoAdvance = true;
    const { name } = await createJob(customJob());
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const job = await state(name!);
      seen.push(job.state as string);
      if (job.state === 'JOB_STATE_SUCCEEDED') break;
    }
    expect(seen).toEqual(['JOB_STATE_PENDING', 'JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED']);
    expect(fake.calls.GetCustomJob).toBe(3);
    expect(fake.writes).toBe(1);
  });

  it('in automatic mode can end in failure instead', async () => {
    fake.jobs.autoAdvance = true;
    fake.jobs.autoOutcome = { state: 'JOB_STATE_FAILED', message: 'The replica workerpool0-0 exited with a non-zero status of 1. Termination reason: Error.' };
    const { name } = await createJob(customJob());
    await state(name!);
    await state(name!);
    const failed = await state(name!);
    expect(failed.state).toBe('JOB_STATE_FAILED');
    expect(failed.error).toEqual(expect.objectContaining({ code: 13, message: 'The replica workerpool0-0 exited with a non-zero status of 1. Termination reason: Error.' }));
  });

  it('fails a job with the given message and code, and sets endTime', async () => {
    const { name } = await createJob(customJob());
    fake.advanceJob(name!, 'JOB_STATE_RUNNING');
    fake.failJob(name!, 'The replica workerpool0-0 ran out of memory and exited with a non-zero status of 137.', 9);
    const failed = await state(name!);
    expect(failed.state).toBe('JOB_STATE_FAILED');
    expect(failed.error).toEqual(expect.objectContaining({ code: 9, message: 'The replica workerpool0-0 ran out of memory and exited with a non-zero status of 137.' }));
    expect(failed.endTime).toBeTruthy();
  });

  it('cancels a running job: CANCELLING, then CANCELLED with error code 1 (Code.CANCELLED), as job_service.proto describes', async () => {
    const { name } = await createJob(customJob());
    fake.advanceJob(name!, 'JOB_STATE_RUNNING');
    await jobs.cancelCustomJob({ name });
    expect((await state(name!)).state).toBe('JOB_STATE_CANCELLING');
    // job_state.proto: from CANCELLING only SUCCEEDED, FAILED or CANCELLED.
    expect(() => fake.advanceJob(name!, 'JOB_STATE_RUNNING')).toThrow(/CANCELLING/);
    // A second cancel while cancelling is accepted.
    await jobs.cancelCustomJob({ name });
    fake.advanceJob(name!, 'JOB_STATE_CANCELLED');
    const cancelled = await state(name!);
    expect(cancelled.state).toBe('JOB_STATE_CANCELLED');
    expect(cancelled.error).toEqual(expect.objectContaining({ code: 1 }));
    expect(cancelled.endTime).toBeTruthy();
    expect(fake.calls.CancelCustomJob).toBe(2);
    expect(WRITES.has('CancelCustomJob')).toBe(true);
  });

  it('cancels a queued job, and in automatic mode the next Get finds it CANCELLED', async () => {
    fake.jobs.autoAdvance = true;
    const { name } = await createJob(customJob());
    await jobs.cancelCustomJob({ name });
    const cancelled = await state(name!);
    expect(cancelled.state).toBe('JOB_STATE_CANCELLED');
    expect(cancelled.error).toEqual(expect.objectContaining({ code: 1 }));
  });

  it('refuses to cancel a finished job with FAILED_PRECONDITION, and an unknown one with NOT_FOUND', async () => {
    const { name } = await createJob(customJob());
    fake.succeedJob(name!);
    await expect(jobs.cancelCustomJob({ name })).rejects.toThrow(`9 FAILED_PRECONDITION: CustomJob ${name} is in state JOB_STATE_SUCCEEDED and cannot be cancelled.`);
    expect((await state(name!)).state).toBe('JOB_STATE_SUCCEEDED');
    await expect(jobs.cancelCustomJob({ name: `${parent}/customJobs/404` })).rejects.toThrow(`5 NOT_FOUND: CustomJob ${parent}/customJobs/404 is not found.`);
    await expect(jobs.getCustomJob({ name: `${parent}/customJobs/404` })).rejects.toThrow('5 NOT_FOUND');
  });

  it('runs a HyperparameterTuningJob: trials with parameters and final measurements come back on Get, not on List', async () => {
    const sent = tuningJob();
    const [created] = await jobs.createHyperparameterTuningJob({ parent, hyperparameterTuningJob: sent });
    expect(created.name).toMatch(/^projects\/p\/locations\/us-central1\/hyperparameterTuningJobs\/\d+$/);
    expect(created.state).toBe('JOB_STATE_QUEUED');
    const name = created.name!;
    fake.advanceJob(name, 'JOB_STATE_RUNNING');
    fake.jobs.setTrials(name, [{ id: '1', state: 'ACTIVE', parameters: [{ parameterId: 'lr', value: 0.01 }] }]);
    const [running] = await jobs.getHyperparameterTuningJob({ name });
    expect(running.trials).toHaveLength(1);
    expect(running.trials![0]).toEqual(expect.objectContaining({ id: '1', state: 'ACTIVE', endTime: null }));
    fake.succeedJob(name, {
      trials: [
        { id: '1', parameters: [{ parameterId: 'lr', value: 0.01 }, { parameterId: 'layers', value: 4 }, { parameterId: 'optimizer', value: 'adam' }], finalMeasurement: { metrics: [{ metricId: 'auc', value: 0.91 }], stepCount: 1000 } },
        { id: '2', parameters: [{ parameterId: 'lr', value: 0.001 }, { parameterId: 'layers', value: 6 }, { parameterId: 'optimizer', value: 'sgd' }], finalMeasurement: { metrics: [{ metricId: 'auc', value: 0.87 }] } },
        { id: '3', state: 'INFEASIBLE', parameters: [{ parameterId: 'lr', value: 0.1 }], infeasibleReason: 'diverged' },
      ],
    });
    const [done] = await jobs.getHyperparameterTuningJob({ name });
    expect(done.state).toBe('JOB_STATE_SUCCEEDED');
    expect(done).toEqual(expect.objectContaining({ displayName: 'tune-ranker', maxTrialCount: 4, parallelTrialCount: 2 }));
    expect(done.studySpec).toEqual(expect.objectContaining({ algorithm: 'RANDOM_SEARCH', metrics: [expect.objectContaining({ metricId: 'auc', goal: 'MAXIMIZE' })] }));
    expect(done.trials).toHaveLength(3);
    const [t1, , t3] = done.trials!;
    expect(t1).toEqual(expect.objectContaining({ id: '1', state: 'SUCCEEDED' }));
    expect(t1.parameters!.map((p) => [p.parameterId, p.value!.numberValue ?? p.value!.stringValue])).toEqual([
      ['lr', 0.01],
      ['layers', 4],
      ['optimizer', 'adam'],
    ]);
    expect(t1.finalMeasurement).toEqual(expect.objectContaining({ stepCount: '1000', metrics: [expect.objectContaining({ metricId: 'auc', value: 0.91 })] }));
    expect(t1.endTime).toBeTruthy();
    expect(t3).toEqual(expect.objectContaining({ state: 'INFEASIBLE', infeasibleReason: 'diverged' }));
    expect(done.trials!.filter((t) => t.state === 'SUCCEEDED')).toHaveLength(2);
    // job_service.proto ListHyperparameterTuningJobsResponse: trials are not returned on List.
    const [listed] = await jobs.listHyperparameterTuningJobs({ parent }, { autoPaginate: false });
    expect(listed.map((j) => [j.name, j.trials])).toEqual([[name, []]]);
    // The test's trials must fit the study spec.
    expect(() => fake.jobs.setTrials(name, [{ id: '9', parameters: [{ parameterId: 'momentum', value: 0.9 }] }])).toThrow(/not in the study spec/);
  });

  it('cancels a HyperparameterTuningJob the same way, and refuses a finished one', async () => {
    const [{ name }] = await jobs.createHyperparameterTuningJob({ parent, hyperparameterTuningJob: tuningJob() });
    await jobs.cancelHyperparameterTuningJob({ name });
    fake.advanceJob(name!, 'JOB_STATE_CANCELLED');
    const [cancelled] = await jobs.getHyperparameterTuningJob({ name });
    expect(cancelled.state).toBe('JOB_STATE_CANCELLED');
    expect(cancelled.error).toEqual(expect.objectContaining({ code: 1 }));
    await expect(jobs.cancelHyperparameterTuningJob({ name })).rejects.toThrow(`9 FAILED_PRECONDITION: HyperparameterTuningJob ${name} is in state JOB_STATE_CANCELLED and cannot be cancelled.`);
    // Create, cancel, and the refused cancel: every call of a WRITES method counts, as for the other services.
    expect(fake.writes).toBe(3);
  });

  it('lists CustomJobs with the documented filter syntax and pages', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    fake.now = () => now;
    const a = await createJob(customJob({ displayName: 'train-a', labels: { team: 'ranker' } }));
    now += 3_600_000;
    const b = await createJob(customJob({ displayName: 'train-b', labels: { team: 'search' } }));
    const c = await createJob(customJob({ displayName: 'eval-c', labels: {} }));
    fake.succeedJob(a.name!);
    const [other] = await jobs.createCustomJob({ parent: 'projects/p/locations/europe-west4', customJob: customJob({ displayName: 'train-a' }) });
    const names = async (filter: string) => (await jobs.listCustomJobs({ parent, filter }, { autoPaginate: false }))[0].map((j) => j.displayName);
    expect(await names('')).toEqual(['train-a', 'train-b', 'eval-c']);
    expect(await names('display_name="train-a"')).toEqual(['train-a']);
    expect(await names('labels.team="ranker"')).toEqual(['train-a']);
    expect(await names('labels.team=search')).toEqual(['train-b']);
    expect(await names('labels.team:*')).toEqual(['train-a', 'train-b']);
    expect(await names('display_name:"train-*"')).toEqual(['train-a', 'train-b']);
    expect(await names('state="JOB_STATE_SUCCEEDED" AND display_name:"train-*"')).toEqual(['train-a']);
    expect(await names('state!="JOB_STATE_SUCCEEDED" OR display_name="train-a"')).toEqual(['train-a', 'train-b', 'eval-c']);
    expect(await names('NOT display_name="train-a"')).toEqual(['train-b', 'eval-c']);
    expect(await names('labels.team="ranker" OR labels.team="search" AND NOT state="JOB_STATE_SUCCEEDED"')).toEqual(['train-b']);
    expect(await names('create_time>"2026-03-01T10:30:00Z"')).toEqual(['train-b', 'eval-c']);
    expect(await names('(display_name="eval-c")')).toEqual(['eval-c']);
    await expect(names('machine_type="x"')).rejects.toThrow('3 INVALID_ARGUMENT: Invalid filter "machine_type=\\"x\\"": unsupported field machine_type.');
    await expect(names('state>"JOB_STATE_QUEUED"')).rejects.toThrow('3 INVALID_ARGUMENT');
    // Paging: pageSize with nextPageToken; the client's auto-pagination walks every page.
    const [page, next] = await jobs.listCustomJobs({ parent, pageSize: 2 }, { autoPaginate: false });
    expect(page.map((j) => j.name)).toEqual([a.name, b.name]);
    expect(next).toEqual(expect.objectContaining({ pageToken: '2' }));
    const [all] = await jobs.listCustomJobs({ parent, pageSize: 2 });
    expect(all.map((j) => j.name)).toEqual([a.name, b.name, c.name]);
    expect(other.name).toMatch(/^projects\/p\/locations\/europe-west4\//);
  });

  it('counts, and injects faults into, JobService calls like every other fake service', async () => {
    fake.faults.push({ method: 'CreateCustomJob', code: grpc.status.UNAVAILABLE, times: 1 });
    await expect(jobs.createCustomJob({ parent, customJob: customJob() }, { retry: null } as never)).rejects.toThrow('14 UNAVAILABLE');
    expect(fake.jobs.customJobs.size).toBe(0);
    await createJob(customJob());
    expect(fake.calls.CreateCustomJob).toBe(2);
    for (const m of ['CreateCustomJob', 'CancelCustomJob', 'CreateHyperparameterTuningJob', 'CancelHyperparameterTuningJob']) expect(WRITES.has(m)).toBe(true);
    for (const m of ['GetCustomJob', 'ListCustomJobs', 'GetHyperparameterTuningJob', 'ListHyperparameterTuningJobs']) expect(WRITES.has(m)).toBe(false);
  });

  describe('refuses a CustomJob the published API rules out, with INVALID_ARGUMENT', () => {
    const refusal = (...lines: [string, string][]) => `3 INVALID_ARGUMENT: List of found errors:\t${lines.map(([f, m], i) => `${i + 1}.Field: ${f}; Message: ${m}\t`).join('')}`;
    const withPool = (over: Body, extra: Body[] = []) => customJob({ jobSpec: { workerPoolSpecs: [{ ...pool(), ...over }, ...extra] } });
    const cases: [string, Body, string][] = [
      ['display_name missing (REQUIRED)', customJob({ displayName: '' }), refusal(['display_name', 'Required field is not set.'])],
      ['display_name over 128 characters', customJob({ displayName: 'x'.repeat(129) }), refusal(['display_name', 'Display name is 129 characters long; the limit is 128.'])],
      ['a label with upper case', customJob({ labels: { Team: 'ranker' } }), refusal(['labels.Team', 'Label key "Team" can only contain lowercase letters, numeric characters, underscores and dashes.'])],
      ['a label value over 64 characters', customJob({ labels: { team: 'r'.repeat(65) } }), refusal(['labels.team', `Label value "${'r'.repeat(65)}" is longer than 64 characters.`])],
      ['job_spec missing (REQUIRED)', customJob({ jobSpec: undefined }), refusal(['job_spec', 'Required field is not set.'])],
      ['no worker pools (REQUIRED)', customJob({ jobSpec: { workerPoolSpecs: [] } }), refusal(['job_spec.worker_pool_specs', 'Required field is not set.'])],
      ['machine_type missing', withPool({ machineSpec: {} }), refusal(['job_spec.worker_pool_specs[0].machine_spec.machine_type', 'Required field is not set.'])],
      [
        'an accelerator name the client does not know (sent as unset, so the pairing rule fires)',
        withPool({ machineSpec: { machineType: 'a2-highgpu-1g', acceleratorType: 'NVIDIA_A100', acceleratorCount: 1 } }),
        refusal(['job_spec.worker_pool_specs[0].machine_spec.accelerator_type', 'Both `accelerator_type` and `accelerator_count` should be specified or none.']),
      ],
      [
        'an accelerator number outside AcceleratorType',
        withPool({ machineSpec: { machineType: 'a2-highgpu-1g', acceleratorType: 99, acceleratorCount: 1 } }),
        refusal(['job_spec.worker_pool_specs[0].machine_spec.accelerator_type', 'Invalid AcceleratorType 99.']),
      ],
      [
        'an accelerator type without a count',
        withPool({ machineSpec: { machineType: 'a2-highgpu-1g', acceleratorType: 'NVIDIA_L4' } }),
        refusal(['job_spec.worker_pool_specs[0].machine_spec.accelerator_type', 'Both `accelerator_type` and `accelerator_count` should be specified or none.']),
      ],
      [
        'gpu_partition_size with more than one accelerator',
        withPool({ machineSpec: { machineType: 'a2-highgpu-2g', acceleratorType: 'NVIDIA_TESLA_A100', acceleratorCount: 2, gpuPartitionSize: '1g.10gb' } }),
        refusal(['job_spec.worker_pool_specs[0].machine_spec.accelerator_count', 'With gpu_partition_size set, accelerator_count should be 1, got 2.']),
      ],
      ['an unknown boot disk type', withPool({ diskSpec: { bootDiskType: 'pd-balanced' } }), refusal(['job_spec.worker_pool_specs[0].disk_spec.boot_disk_type', 'Boot disk type pd-balanced is invalid: valid values are pd-ssd, pd-standard and hyperdisk-balanced.'])],
      ['no container or python package', withPool({ containerSpec: undefined }), refusal(['job_spec.worker_pool_specs[0].task', 'One of container_spec or python_package_spec must be set.'])],
      ['container image_uri missing (REQUIRED)', withPool({ containerSpec: { imageUri: '' } }), refusal(['job_spec.worker_pool_specs[0].container_spec.image_uri', 'Required field is not set.'])],
      [
        'env names that are not C identifiers and env without a value',
        withPool({ containerSpec: { imageUri: 'i', env: [{ name: '1ST', value: 'x' }, { name: 'MODEL-DIR', value: 'y' }, { name: 'OK', value: '' }] } }),
        refusal(
          ['job_spec.worker_pool_specs[0].container_spec.env[0].name', 'Environment variable name "1ST" must be a valid C identifier.'],
          ['job_spec.worker_pool_specs[0].container_spec.env[1].name', 'Environment variable name "MODEL-DIR" must be a valid C identifier.'],
          ['job_spec.worker_pool_specs[0].container_spec.env[2].value', 'Required field is not set.'],
        ),
      ],
      [
        'more than 100 env variables',
        withPool({ containerSpec: { imageUri: 'i', env: Array.from({ length: 101 }, (_, i) => ({ name: `V${i}`, value: 'x' })) } }),
        refusal(['job_spec.worker_pool_specs[0].container_spec.env', 'At most 100 environment variables are allowed, got 101.']),
      ],
      [
        'a python package without its REQUIRED fields',
        withPool({ containerSpec: undefined, pythonPackageSpec: { executorImageUri: 'us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-4:latest', packageUris: [] } }),
        refusal(['job_spec.worker_pool_specs[0].python_package_spec.package_uris', 'Required field is not set.'], ['job_spec.worker_pool_specs[0].python_package_spec.python_module', 'Required field is not set.']),
      ],
      ['a primary pool without replicas', withPool({ replicaCount: '0' }), refusal(['job_spec.worker_pool_specs[0].replica_count', 'The first worker pool is the primary replica: replica_count must be at least 1.'])],
      [
        'several pools whose primary has more than one replica',
        withPool({ replicaCount: '2' }, [{ ...pool(), replicaCount: '4' }]),
        refusal(['job_spec.worker_pool_specs[0].replica_count', 'The first worker pool is the primary replica: its replica_count must be 1 when there are several worker pools, got 2.']),
      ],
      ['a second pool that is set but incomplete', withPool({}, [{ replicaCount: '2' }]), refusal(['job_spec.worker_pool_specs[1].machine_spec.machine_type', 'Required field is not set.'], ['job_spec.worker_pool_specs[1].task', 'One of container_spec or python_package_spec must be set.'])],
      ['a scheduling strategy outside Scheduling.Strategy', customJob({ jobSpec: { workerPoolSpecs: [pool()], scheduling: { strategy: 99 } } }), refusal(['job_spec.scheduling.strategy', 'Invalid Scheduling.Strategy 99.'])],
    ];
    it.each(cases)('%s', async (_what, body, message) => {
      await expect(createJob(body)).rejects.toThrow(message);
      expect(fake.jobs.customJobs.size).toBe(0);
    });

    it('accepts a distributed job: a primary of one replica, an empty (skipped) pool, then workers, on SPOT, STANDARD or FLEX_START', async () => {
      for (const strategy of ['SPOT', 'STANDARD', 'FLEX_START', 'STRATEGY_UNSPECIFIED']) {
        await createJob(customJob({ jobSpec: { workerPoolSpecs: [pool(), {}, { ...pool(), replicaCount: '3' }], scheduling: { strategy } } }));
      }
      const python = { replicaCount: '1', machineSpec: { machineType: 'n1-standard-8' }, pythonPackageSpec: { executorImageUri: 'us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest', packageUris: ['gs://b/trainer-0.1.tar.gz'], pythonModule: 'trainer.task' } };
      await createJob(customJob({ jobSpec: { workerPoolSpecs: [python] } }));
      expect(fake.jobs.customJobs.size).toBe(5);
    });

    it('refuses a bad parent', async () => {
      await expect(jobs.createCustomJob({ parent: 'projects/p', customJob: customJob() })).rejects.toThrow(refusal(['parent', 'Invalid parent projects/p: must be projects/{project}/locations/{location}.']));
    });
  });

  describe('refuses a HyperparameterTuningJob the published API rules out, with INVALID_ARGUMENT', () => {
    const refusal = (...lines: [string, string][]) => `3 INVALID_ARGUMENT: List of found errors:\t${lines.map(([f, m], i) => `${i + 1}.Field: ${f}; Message: ${m}\t`).join('')}`;
    const study = (over: Body) => tuningJob({ studySpec: { ...tuningJob().studySpec, ...over } });
    const param = (p: Body) => study({ parameters: [p] });
    const cases: [string, Body, string][] = [
      ['study_spec missing (REQUIRED)', tuningJob({ studySpec: undefined }), refusal(['study_spec', 'Required field is not set.'])],
      ['no metrics (REQUIRED)', study({ metrics: [] }), refusal(['study_spec.metrics', 'Required field is not set.'])],
      ['a metric without a goal (REQUIRED)', study({ metrics: [{ metricId: 'auc' }] }), refusal(['study_spec.metrics[0].goal', 'Required field is not set.'])],
      ['a goal outside GoalType', study({ metrics: [{ metricId: 'auc', goal: 7 }] }), refusal(['study_spec.metrics[0].goal', 'Invalid GoalType 7.'])],
      [
        'metric ids with whitespace or repeated',
        study({ metrics: [{ metricId: 'val auc', goal: 'MAXIMIZE' }, { metricId: 'loss', goal: 'MINIMIZE' }, { metricId: 'loss', goal: 'MINIMIZE' }] }),
        refusal(['study_spec.metrics[0].metric_id', 'Metric id "val auc" must not contain whitespace.'], ['study_spec.metrics[2].metric_id', 'Metric id "loss" must be unique amongst all metrics.']),
      ],
      ['no parameters (REQUIRED)', study({ parameters: [] }), refusal(['study_spec.parameters', 'Required field is not set.'])],
      [
        'a parameter without a value spec',
        param({ parameterId: 'lr' }),
        refusal(['study_spec.parameters[0].parameter_value_spec', 'One of double_value_spec, integer_value_spec, categorical_value_spec or discrete_value_spec must be set.']),
      ],
      [
        'repeated parameter ids',
        study({ parameters: [tuningJob().studySpec.parameters[0], tuningJob().studySpec.parameters[0]] }),
        refusal(['study_spec.parameters[1].parameter_id', 'Parameter id "lr" must be unique amongst all parameters.']),
      ],
      ['a double range with min above max', param({ parameterId: 'lr', doubleValueSpec: { minValue: 0.5, maxValue: 0.1 } }), refusal(['study_spec.parameters[0].double_value_spec', 'min_value 0.5 is greater than max_value 0.1.'])],
      [
        'a log-scaled double range that is not strictly positive',
        param({ parameterId: 'lr', doubleValueSpec: { minValue: 0, maxValue: 0.1 }, scaleType: 'UNIT_LOG_SCALE' }),
        refusal(['study_spec.parameters[0].double_value_spec.min_value', 'UNIT_LOG_SCALE needs a strictly positive feasible space; min_value is 0.']),
      ],
      [
        'a reverse-log-scaled integer range from a negative number',
        param({ parameterId: 'units', integerValueSpec: { minValue: '-4', maxValue: '8' }, scaleType: 'UNIT_REVERSE_LOG_SCALE' }),
        refusal(['study_spec.parameters[0].integer_value_spec.min_value', 'UNIT_REVERSE_LOG_SCALE needs a strictly positive feasible space; min_value is -4.']),
      ],
      ['an integer range with min above max', param({ parameterId: 'units', integerValueSpec: { minValue: '9', maxValue: '8' } }), refusal(['study_spec.parameters[0].integer_value_spec', 'min_value 9 is greater than max_value 8.'])],
      ['a scale type outside ScaleType', param({ parameterId: 'lr', doubleValueSpec: { minValue: 0.1, maxValue: 1 }, scaleType: 9 }), refusal(['study_spec.parameters[0].scale_type', 'Invalid ScaleType 9.'])],
      ['a categorical parameter without values (REQUIRED)', param({ parameterId: 'opt', categoricalValueSpec: { values: [] } }), refusal(['study_spec.parameters[0].categorical_value_spec.values', 'Required field is not set.'])],
      [
        'a categorical parameter with a scale type',
        param({ parameterId: 'opt', categoricalValueSpec: { values: ['adam'] }, scaleType: 'UNIT_LINEAR_SCALE' }),
        refusal(['study_spec.parameters[0].scale_type', 'scale_type must be unset for a CATEGORICAL parameter.']),
      ],
      ['a discrete parameter without values (REQUIRED)', param({ parameterId: 'bs', discreteValueSpec: { values: [] } }), refusal(['study_spec.parameters[0].discrete_value_spec.values', 'Required field is not set.'])],
      ['discrete values out of order', param({ parameterId: 'bs', discreteValueSpec: { values: [64, 32, 128] } }), refusal(['study_spec.parameters[0].discrete_value_spec.values', 'Values must be in increasing order and at least 1e-10 apart.'])],
      [
        'a default value (not supported by HyperparameterTuningJob)',
        param({ parameterId: 'lr', doubleValueSpec: { minValue: 0.1, maxValue: 1, defaultValue: 0.5 } }),
        refusal(['study_spec.parameters[0].double_value_spec.default_value', 'default_value is not supported by HyperparameterTuningJob.']),
      ],
      [
        'grid search over a DOUBLE parameter',
        study({ algorithm: 'GRID_SEARCH' }),
        refusal(['study_spec.parameters[0]', 'Grid search needs INTEGER, CATEGORICAL or DISCRETE parameters; lr is DOUBLE.']),
      ],
      ['observation_noise (Vizier only)', study({ observationNoise: 'HIGH' }), refusal(['study_spec.observation_noise', 'observation_noise is not supported by HyperparameterTuningJob.'])],
      [
        'a conditional parameter whose condition does not fit its parent',
        param({
          parameterId: 'opt',
          categoricalValueSpec: { values: ['adam', 'sgd'] },
          conditionalParameterSpecs: [
            { parentCategoricalValues: { values: ['sgd', 'rmsprop'] }, parameterSpec: { parameterId: 'momentum', doubleValueSpec: { minValue: 0.5, maxValue: 0.99 } } },
            { parentIntValues: { values: ['1'] }, parameterSpec: { parameterId: 'beta', doubleValueSpec: { minValue: 0.5, maxValue: 0.99 } } },
          ],
        }),
        refusal(
          ['study_spec.parameters[0].conditional_parameter_specs[0].parent_categorical_values.values', 'Values rmsprop are not in the feasible space of the parent parameter opt.'],
          ['study_spec.parameters[0].conditional_parameter_specs[1].parent_int_values.values', 'The parent parameter opt is not INTEGER.'],
        ),
      ],
      ['max_trial_count and parallel_trial_count missing (REQUIRED)', tuningJob({ maxTrialCount: 0, parallelTrialCount: undefined }), refusal(['max_trial_count', 'Required field is not set.'], ['parallel_trial_count', 'Required field is not set.'])],
      ['trial_job_spec missing (REQUIRED)', tuningJob({ trialJobSpec: undefined }), refusal(['trial_job_spec', 'Required field is not set.'])],
      [
        'a trial job spec held to the CustomJobSpec rules',
        tuningJob({ trialJobSpec: { workerPoolSpecs: [{ ...pool(), machineSpec: { machineType: '' } }] } }),
        refusal(['trial_job_spec.worker_pool_specs[0].machine_spec.machine_type', 'Required field is not set.']),
      ],
    ];
    it.each(cases)('%s', async (_what, body, message) => {
      await expect(jobs.createHyperparameterTuningJob({ parent, hyperparameterTuningJob: body })).rejects.toThrow(message);
      expect(fake.jobs.tuningJobs.size).toBe(0);
    });

    it('accepts discrete, grid-searched and conditional parameters that fit', async () => {
      await jobs.createHyperparameterTuningJob({
        parent,
        hyperparameterTuningJob: study({
          algorithm: 'GRID_SEARCH',
          parameters: [
            { parameterId: 'bs', discreteValueSpec: { values: [32, 64, 128] }, scaleType: 'UNIT_LOG_SCALE' },
            {
              parameterId: 'opt',
              categoricalValueSpec: { values: ['adam', 'sgd'] },
              conditionalParameterSpecs: [{ parentCategoricalValues: { values: ['sgd'] }, parameterSpec: { parameterId: 'nesterov', categoricalValueSpec: { values: ['true', 'false'] } } }],
            },
          ],
        }),
      });
      expect(fake.jobs.tuningJobs.size).toBe(1);
    });
  });
});
