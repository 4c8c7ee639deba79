import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { formatPlan, resolvePlan } from '../../lib/plan';
import { loadProjectText } from '../../lib/spec';
import { readMonitoringSchedule } from '../../lib/spec/monitoring';
import { baseSpec, errorsOf, mutate, withAzure, withVertex, yamlErrorsOf } from '../helpers';

/** serving.monitoring: the spec's rules, each message, and what the plan shows per provider. */
const monitored = (edit: (m: any, s: any) => void = () => undefined) =>
  mutate(baseSpec(), (s) => {
    s.models.fraud.serving.dataCapture = { percent: 20 };
    s.models.fraud.serving.monitoring = { schedule: 'hourly', baseline: { sagemaker: 's3://acme-data/fraud/train/' }, drift: { threshold: 0.3, features: { amount: 0.2 } }, alerts: { email: ['ml-oncall@acme.com'] } };
    edit(s.models.fraud.serving.monitoring, s);
  });

describe('monitoring in the spec', () => {
  it('accepts a monitor with a baseline, thresholds and alerts', () => {
    expect(errorsOf(monitored())).toEqual([]);
  });

  it('needs data capture, which the monitors read', () => {
    const spec = monitored((_, s) => delete s.models.fraud.serving.dataCapture);
    expect(errorsOf(spec)).toEqual(['models.fraud.serving.monitoring: monitors read the captured traffic, and this model captures none; add serving.dataCapture: { percent: 20 }']);
  });

  it('needs a baseline on every provider the model serves on, in its own storage', () => {
    const spec = mutate(withVertex(monitored()), (s) => (s.models.fraud.serving.monitoring.baseline = { sagemaker: 'gs://wrong/' }));
    expect(errorsOf(spec)).toEqual([
      'models.fraud.serving.monitoring.baseline: the model serves on vertex, and monitoring.baseline has no vertex entry; add monitoring.baseline.vertex',
      'models.fraud.serving.monitoring.baseline.sagemaker: "gs://wrong/" is not a sagemaker baseline location; use a s3:// URI',
    ]);
  });

  it('takes the baseline from a training input, which must exist for every provider', () => {
    const training = { image: { sagemaker: 'img' }, output: { sagemaker: 's3://m/' }, resources: { accelerator: 'T4', count: 1 }, metrics: { accuracy: 'acc=([0-9.]+)' }, inputs: { train: { sagemaker: 's3://acme-data/fraud/train/' } } };
    const ok = monitored((m, s) => {
      m.baseline = { trainingInput: 'train' };
      s.models.fraud.training = training;
    });
    expect(errorsOf(ok)).toEqual([]);
    expect(errorsOf(mutate(ok, (s) => (s.models.fraud.serving.monitoring.baseline = { trainingInput: 'validation' })))).toEqual([
      'models.fraud.serving.monitoring.baseline.trainingInput: "validation" is not an input of training.inputs (it has train); name one, or give the baseline per provider',
    ]);
    expect(errorsOf(withAzure(ok))).toContain(
      'models.fraud.serving.monitoring.baseline.trainingInput: training.inputs.train has no azureml URI, and the azureml monitor compares with it; add training.inputs.train.azureml, or give the baseline per provider',
    );
  });

  it('runs hourly to daily, and at set times only where the provider can', () => {
    expect(errorsOf(monitored((m) => (m.schedule = 'weekly')))).toEqual([
      'models.fraud.serving.monitoring.schedule: "weekly": monitors run hourly to daily on every provider (SageMaker\'s limits); write hourly, daily, rate(N hours) with N from 1 to 24, or cron(0 H ? * * *) / cron(0 H/N ? * * *)',
    ]);
    expect(errorsOf(monitored((m) => (m.schedule = 'rate(5 hours)')))).toEqual([
      'models.fraud.serving.monitoring.schedule: "rate(5 hours)": SageMaker restarts an every-N-hours monitor at midnight, so N must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24)',
    ]);
    expect(errorsOf(monitored((m) => (m.schedule = 'rate(48 hours)')))).toEqual([
      'models.fraud.serving.monitoring.schedule: "rate(48 hours)": monitors run every 1 to 24 hours; write hourly, daily, rate(N hours) with N from 1 to 24, or cron(0 H ? * * *) / cron(0 H/N ? * * *)',
    ]);
    expect(errorsOf(monitored((m) => (m.schedule = 'cron(30 3 * * ? *)')))).toEqual([
      'models.fraud.serving.monitoring.schedule: "cron(30 3 * * ? *)" is not a monitoring schedule; write hourly, daily, rate(N hours) with N from 1 to 24, or cron(0 H ? * * *) / cron(0 H/N ? * * *)',
    ]);
    const vertex = mutate(withVertex(monitored()), (s) => {
      s.models.fraud.serving.monitoring.schedule = 'cron(0 3 ? * * *)';
      s.models.fraud.serving.monitoring.baseline.vertex = 'bq://acme.fraud.train';
    });
    expect(errorsOf(vertex)).toEqual([
      'models.fraud.serving.monitoring.schedule: Vertex AI monitors at a fixed interval of whole hours, not at set times; write hourly, daily or rate(N hours), or leave vertex out of providers',
    ]);
  });

  it('sends alerts by email everywhere, and to an SNS topic on AWS only', () => {
    const topic = 'arn:aws:sns:us-east-1:111111111111:ml-alerts';
    expect(errorsOf(monitored((m) => (m.alerts = { snsTopic: topic })))).toEqual([]);
    const vertex = mutate(withVertex(monitored((m) => (m.alerts = { snsTopic: topic }))), (s) => (s.models.fraud.serving.monitoring.baseline.vertex = 'gs://acme-data/fraud/train/*.csv'));
    expect(errorsOf(vertex)).toEqual(["models.fraud.serving.monitoring.alerts: the SNS topic reaches SageMaker's alarms only; vertex sends alerts by email: add alerts.email"]);
    const vertexOnly = mutate(withVertex(monitored((m) => (m.alerts = { snsTopic: topic }))), (s) => {
      s.models.fraud.providers = ['vertex'];
      s.models.fraud.serving.monitoring.baseline = { vertex: 'gs://acme-data/fraud/train/*.csv' };
    });
    expect(errorsOf(vertexOnly)).toEqual(['models.fraud.serving.monitoring.alerts.snsTopic: an SNS topic reaches AWS only, and this model serves on vertex; send alerts by email instead']);
    expect(errorsOf(monitored((m) => (m.alerts = { email: ['not-an-address'], snsTopic: 'ml-alerts' })))).toEqual([
      'models.fraud.serving.monitoring.alerts.email.0: "not-an-address" is not an email address',
      'models.fraud.serving.monitoring.alerts.snsTopic: "ml-alerts" is not an SNS topic ARN; use arn:aws:sns:REGION:ACCOUNT:NAME',
    ]);
  });

  it('on Azure ML, a feature may be stricter than the default threshold, never looser', () => {
    const spec = mutate(withAzure(monitored()), (s) => {
      s.models.fraud.serving.monitoring.baseline = { sagemaker: 's3://acme-data/fraud/train/', azureml: 'azureml://datastores/data/paths/fraud/train/' };
      s.models.fraud.serving.monitoring.drift.features = { amount: 0.2, country: 0.5 };
    });
    expect(errorsOf(spec)).toEqual(['models.fraud.serving.monitoring.drift.features.country: 0.5 is above drift.threshold 0.3, and an Azure ML drift signal over all features would still flag country at 0.3; set it to 0.3 or less, raise drift.threshold, or leave azureml out of providers']);
    // SageMaker and Vertex take a looser threshold per feature.
    expect(errorsOf(monitored((m) => (m.drift.features = { country: 0.5 })))).toEqual([]);
  });

  it('reports a missing schedule at the monitoring key of the YAML', () => {
    const yaml = `project: acme
environments:
  dev: { aws: { account: "111111111111", region: us-east-1 } }
models:
  fraud:
    versions: { "8": { artifact: { sagemaker: s3://m/8/model.tar.gz } } }
    serving:
      image: { sagemaker: 111111111111.dkr.ecr.us-east-1.amazonaws.com/fraud:1 }
      resources: { accelerator: T4, count: 1 }
      dataCapture: { percent: 10 }
      monitoring:
        baseline: { sagemaker: s3://acme-data/fraud/train/ }
`;
    expect(yamlErrorsOf(yaml, 'dev:\n  fraud: { traffic: { "8": 100 } }\n')).toEqual([
      'mlspec.yaml:11:7  models.fraud.serving.monitoring.schedule: missing; add a monitoring schedule (hourly, daily, rate(6 hours) or cron(0 3 ? * * *)) here',
    ]);
  });
});

describe('monitoring schedules in each provider\'s form', () => {
  it('gives SageMaker a cron, Vertex an interval and Azure ML a recurrence or cron', () => {
    expect(readMonitoringSchedule('hourly')).toEqual({ sagemakerCron: 'cron(0 * ? * * *)', intervalHours: 1, azure: { recurrence: { frequency: 'Hour', interval: 1 } }, runsPerMonth: 720 });
    expect(readMonitoringSchedule('daily')).toEqual({ sagemakerCron: 'cron(0 0 ? * * *)', intervalHours: 24, azure: { recurrence: { frequency: 'Day', interval: 1 } }, runsPerMonth: 30 });
    expect(readMonitoringSchedule('rate(6 hours)')).toEqual({ sagemakerCron: 'cron(0 0/6 ? * * *)', intervalHours: 6, azure: { recurrence: { frequency: 'Hour', interval: 6 } }, runsPerMonth: 120 });
    expect(readMonitoringSchedule('cron(0 3 ? * * *)')).toEqual({ sagemakerCron: 'cron(0 3 ? * * *)', azure: { cron: '0 3 * * *' }, runsPerMonth: 30 });
  });
});

describe('monitoring in the plan', () => {
  it('shows each provider its monitor, with the cost where the provider bills per run time', () => {
    const spec = mutate(withVertex(monitored((m) => (m.alerts.snsTopic = 'arn:aws:sns:us-east-1:111111111111:ml-alerts'))), (s) => (s.models.fraud.serving.monitoring.baseline.vertex = 'bq://acme.fraud.train'));
    const plan = resolvePlan(loadProjectText(JSON.stringify(spec), 'mlspec.yaml', JSON.stringify({ dev: { fraud: { traffic: { '8': 100 } } } })));
    const model = plan.environments[0].models[0];
    expect(model.sagemaker!.serving!.monitoring).toEqual({
      schedule: 'hourly',
      cron: 'cron(0 * ? * * *)',
      baselineUri: 's3://acme-data/fraud/train/',
      samplingPercent: 20,
      driftThreshold: 0.3,
      featureThresholds: { amount: 0.2 },
      alertEmails: ['ml-oncall@acme.com'],
      snsTopicArn: 'arn:aws:sns:us-east-1:111111111111:ml-alerts',
      runsPerMonth: 720,
      monthlyUsd: expect.any(Number),
      costNote: 'ml.m5.xlarge per run, estimated at 10 minutes a run',
    });
    expect(model.vertex!.serving!.monitoring).toEqual(expect.objectContaining({ intervalHours: 1, baselineUri: 'bq://acme.fraud.train', costNote: 'Vertex bills model monitoring per GB of data analyzed: not estimated' }));
    const text = formatPlan(plan);
    expect(text).toMatch(/    monitoring \(sagemaker\): hourly \(cron\(0 \* \? \* \* \*\)\) on 20% of requests against s3:\/\/acme-data\/fraud\/train\/; drift > 0\.3 \(amount > 0\.2\); alerts to ml-oncall@acme\.com, arn:aws:sns:us-east-1:111111111111:ml-alerts; \$\d+\.\d\d \/ month \(ml\.m5\.xlarge per run, estimated at 10 minutes a run\)/);
    expect(text).toContain('    monitoring (vertex): hourly (every 1h) on 20% of requests against bq://acme.fraud.train; drift > 0.3 (amount > 0.2); alerts to ml-oncall@acme.com; Vertex bills model monitoring per GB of data analyzed: not estimated');
  });
});

describe("the README's Monitoring example", () => {
  it('is a valid monitor for a model that trains on its train input', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Monitoring'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    const { serving } = parse(yaml) as { serving: { dataCapture: unknown; monitoring: unknown } };
    const spec = mutate(baseSpec(), (s) => {
      s.models.fraud.serving.dataCapture = serving.dataCapture;
      s.models.fraud.serving.monitoring = serving.monitoring;
      s.models.fraud.training = { image: { sagemaker: 'img' }, output: { sagemaker: 's3://m/' }, resources: { accelerator: 'T4', count: 1 }, metrics: { accuracy: 'acc=([0-9.]+)' }, inputs: { train: { sagemaker: 's3://acme-data/fraud/train/' } } };
    });
    expect(errorsOf(spec)).toEqual([]);
  });
});
