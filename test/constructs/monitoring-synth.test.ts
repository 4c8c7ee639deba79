import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { addModelStacks } from '../../constructs/app';
import { HandlersStack } from '../../constructs/handlers-stack';
import type { ModelStack } from '../../constructs/model-stack';
import { resolvePlan } from '../../lib/plan';
import type { AzureMlModelPlan, ModelPlan, Plan, VertexModelPlan } from '../../lib/plan/types';
import { monitorScheduleBody } from '../../lib/providers/azureml/monitoring';
import { monitorNames } from '../../lib/providers/sagemaker/monitoring';
import { monitorDisplayName, vertexMonitoringJob } from '../../lib/providers/vertex/monitoring';
import { loadProjectText } from '../../lib/spec';
import { decodeJson, endpointConfig, nagFindings, only } from './helpers';

/**
 * The bundled example (examples/mlspec.yaml and examples/releases.yaml, read from disk) with drift
 * monitors added through the real loader: fraud-detector (SageMaker and Azure ML, which already
 * captures 20 %) and search-ranker (SageMaker and Vertex AI, given data capture of 15 % here).
 * `addModelStacks` synthesizes every environment. On SageMaker the stack declares the monitor itself
 * (the job definition, the schedule, the alarms); on Vertex and Azure ML the reconcilers make it at
 * deploy from the custom resource's Plan, so that property must carry every monitoring field of the
 * spec in the provider's form, and build the same job or schedule as the plan resolved here.
 */

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = readFileSync(path.join(ROOT, 'examples/mlspec.yaml'), 'utf8');
const RELEASES = readFileSync(path.join(ROOT, 'examples/releases.yaml'), 'utf8');

/** Inserts `block` after `anchor`, which must occur exactly once in the example. */
function after(text: string, anchor: string, block: string): string {
  expect(text.split(anchor)).toHaveLength(2);
  return text.replace(anchor, `${anchor}${block}`);
}

const FRAUD_MONITOR = `      monitoring:
        schedule: cron(0 3/6 ? * * *)
        baseline: { sagemaker: s3://acme-data/fraud/train/, azureml: azureml://datastores/data/paths/fraud/train-mltable/ }
        drift: { threshold: 0.3, features: { amount: 0.1, merchant_category: 0.2 } }
        alerts: { email: [ml-oncall@acme.com, fraud-team@acme.com] }
`;
const RANKER_MONITOR = `      dataCapture: { percent: 15 }
      monitoring:
        schedule: rate(6 hours)
        baseline: { sagemaker: s3://acme-data/ranker/train/, vertex: "gs://acme-data/ranker/train/*.csv" }
        drift: { threshold: 0.25, features: { query_length: 0.2, clicks: 0.35 } }
        alerts: { email: [search-oncall@acme.com] }
`;

// fraud-detector's serving already captures 20 %; search-ranker's ends with its rollback line.
const SPEC = after(after(EXAMPLE, '      dataCapture: { percent: 20 }\n', FRAUD_MONITOR), '      rollback: { errorRate: 0.5%, p99Latency: 250ms }\n', RANKER_MONITOR);

/** What the spec says, field by field, as each provider must carry it. */
const FRAUD = {
  baseline: { sagemaker: 's3://acme-data/fraud/train/', azureml: 'azureml://datastores/data/paths/fraud/train-mltable/' },
  sampling: 20,
  threshold: 0.3,
  features: { amount: 0.1, merchant_category: 0.2 },
  emails: ['ml-oncall@acme.com', 'fraud-team@acme.com'],
  sagemakerCron: 'cron(0 3/6 ? * * *)',
  azureCron: '0 3/6 * * *',
};
const RANKER = {
  baseline: { sagemaker: 's3://acme-data/ranker/train/', vertex: 'gs://acme-data/ranker/train/*.csv' },
  sampling: 15,
  threshold: 0.25,
  features: { query_length: 0.2, clicks: 0.35 },
  emails: ['search-oncall@acme.com'],
  sagemakerCron: 'cron(0 0/6 ? * * *)',
  intervalHours: 6,
};

const plan: Plan = resolvePlan(loadProjectText(SPEC, 'mlspec.yaml', RELEASES, 'releases.yaml'));
const app = new App();
const stacks = addModelStacks(app, plan);
const handlers = app.node.children.filter((c): c is HandlersStack => c instanceof HandlersStack);

const modelPlan = (env: string, model: string): ModelPlan => plan.environments.find((e) => e.name === env)!.models.find((m) => m.name === model)!;
const stackOf = (env: string, model: string): ModelStack => stacks.find((s) => s.stackName === modelPlan(env, model).stackName)!;
const templates = new Map<Stack, Template>();
const template = (s: Stack) => templates.get(s) ?? templates.set(s, Template.fromStack(s)).get(s)!;
const customPlan = <T>(t: Template, type: string): T => JSON.parse(only(t, type).Properties.Plan) as T;

describe('the bundled example with drift monitors on all three providers, synthesized with addModelStacks', () => {
  it('the edited example loads as written: only the two models have monitors, on each of their providers', () => {
    for (const env of plan.environments) {
      const fraud = modelPlan(env.name, 'fraud-detector');
      const ranker = modelPlan(env.name, 'search-ranker');
      const assistant = modelPlan(env.name, 'support-assistant');
      expect([fraud.sagemaker?.serving?.monitoring, fraud.azureml?.serving?.monitoring].every(Boolean)).toBe(true);
      expect([ranker.sagemaker?.serving?.monitoring, ranker.vertex?.serving?.monitoring].every(Boolean)).toBe(true);
      expect([assistant.sagemaker, assistant.vertex, assistant.azureml].map((p) => p?.serving?.monitoring)).toEqual([undefined, undefined, undefined]);
    }
  });

  describe.each([
    ['fraud-detector', FRAUD],
    ['search-ranker', RANKER],
  ] as const)('SageMaker: %s in staging declares its monitor', (model, want) => {
    const stack = () => stackOf('staging', model);
    const t = () => template(stack());
    const endpoint = `acme-${model}-staging`;

    it('captures the spec\'s share of requests', () => {
      expect(endpointConfig(t()).Properties.DataCaptureConfig).toEqual(expect.objectContaining({ EnableCapture: true, InitialSamplingPercentage: want.sampling }));
    });

    it('the DataQualityJobDefinition reads the endpoint\'s capture against the baseline computed from the spec\'s training data, with its thresholds', () => {
      const def = only(t(), 'AWS::SageMaker::DataQualityJobDefinition').Properties;
      expect(def.DataQualityJobInput.EndpointInput.EndpointName).toBe(endpoint);
      const [baselineId, baseline] = Object.entries(t().findResources('Custom::SageMakerMonitoringBaseline'))[0];
      expect(def.DataQualityBaselineConfig).toEqual({
        StatisticsResource: { S3Uri: { 'Fn::GetAtt': [baselineId, 'StatisticsUri'] } },
        ConstraintsResource: { S3Uri: { 'Fn::GetAtt': [baselineId, 'ConstraintsUri'] } },
      });
      expect((decodeJson(baseline.Properties.Job) as { BaselineUri: string }).BaselineUri).toBe(want.baseline.sagemaker);
      expect(JSON.parse(baseline.Properties.Thresholds)).toEqual({ default: want.threshold, features: want.features });
    });

    it('the MonitoringSchedule runs the spec\'s schedule as SageMaker\'s cron, under the name mlspec status and cleanSoak read', () => {
      const s = only(t(), 'AWS::SageMaker::MonitoringSchedule').Properties;
      expect(s.MonitoringScheduleName).toBe(monitorNames(endpoint).schedule);
      expect(s.MonitoringScheduleConfig).toEqual({
        MonitoringJobDefinitionName: only(t(), 'AWS::SageMaker::DataQualityJobDefinition').Properties.JobDefinitionName,
        MonitoringType: 'DataQuality',
        ScheduleConfig: { ScheduleExpression: want.sagemakerCron },
      });
    });

    it('one alarm per feature threshold, every 6 hours, to an encrypted topic that emails the spec\'s addresses', () => {
      const alarms = Object.values(t().findResources('AWS::CloudWatch::Alarm')).filter((a) => String(a.Properties.AlarmName).startsWith(`${endpoint}-drift-`));
      const topicId = Object.keys(t().findResources('AWS::SNS::Topic'))[0];
      const features = Object.entries(want.features).sort(([a], [b]) => a.localeCompare(b));
      expect(alarms.map((a) => [a.Properties.AlarmName, a.Properties.MetricName, a.Properties.Threshold, a.Properties.Period, a.Properties.AlarmActions])).toEqual(
        features.map(([f, threshold]) => [monitorNames(endpoint).alarm(f), `feature_baseline_drift_${f}`, threshold, 6 * 3600, [{ Ref: topicId }]]),
      );
      for (const a of alarms) expect(a.Properties.Dimensions).toEqual([{ Name: 'Endpoint', Value: endpoint }, { Name: 'MonitoringSchedule', Value: monitorNames(endpoint).schedule }]);
      expect(only(t(), 'AWS::SNS::Topic').Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [Object.keys(t().findResources('AWS::KMS::Key'))[0], 'Arn'] });
      expect(Object.values(t().findResources('AWS::SNS::Subscription')).map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual(want.emails.map((e) => ['email', e]));
    });
  });

  describe('Vertex: search-ranker\'s custom resource in staging carries the monitor', () => {
    const t = () => template(stackOf('staging', 'search-ranker'));
    const carried = () => customPlan<VertexModelPlan>(t(), 'Custom::VertexModel');

    it('each monitoring field of the spec, in Vertex\'s form: an interval of whole hours, no cron', () => {
      const m = carried().serving!.monitoring!;
      expect({ schedule: m.schedule, intervalHours: m.intervalHours, baselineUri: m.baselineUri, samplingPercent: m.samplingPercent, driftThreshold: m.driftThreshold, featureThresholds: m.featureThresholds, alertEmails: m.alertEmails }).toEqual({
        schedule: 'rate(6 hours)', intervalHours: RANKER.intervalHours, baselineUri: RANKER.baseline.vertex, samplingPercent: RANKER.sampling, driftThreshold: RANKER.threshold, featureThresholds: RANKER.features, alertEmails: RANKER.emails,
      });
      expect([m.cron, m.trigger, m.snsTopicArn]).toEqual([undefined, undefined, undefined]);
      expect(carried().serving!.dataCapturePercent).toBe(RANKER.sampling);
      expect(carried()).toEqual(modelPlan('staging', 'search-ranker').vertex);
    });

    it('the reconciler builds from it the monitoring job the spec asks for', () => {
      const target = { model: 'search-ranker', environment: 'staging' };
      const endpoint = 'projects/acme-ml-staging/locations/us-central1/endpoints/1';
      const ids = { 'search-ranker-v3': '11', 'search-ranker-v4': '12' };
      const job = vertexMonitoringJob(carried(), target, endpoint, ids);
      expect(job).toEqual(vertexMonitoringJob(modelPlan('staging', 'search-ranker').vertex!, target, endpoint, ids));
      expect(job.displayName).toBe(monitorDisplayName(carried()));
      expect(job.modelDeploymentMonitoringScheduleConfig).toEqual({ monitorInterval: { seconds: 6 * 3600 } });
      expect(job.loggingSamplingStrategy).toEqual({ randomSampleConfig: { sampleRate: 0.15 } });
      expect(job.modelMonitoringAlertConfig).toEqual({ emailAlertConfig: { userEmails: RANKER.emails } });
      const thresholds = { clicks: { value: 0.35 }, query_length: { value: 0.2 } };
      expect(job.modelDeploymentMonitoringObjectiveConfigs).toEqual(['11', '12'].map((id) => ({
        deployedModelId: id,
        objectiveConfig: {
          trainingDataset: { gcsSource: { uris: [RANKER.baseline.vertex] }, dataFormat: 'csv' },
          trainingPredictionSkewDetectionConfig: { skewThresholds: thresholds, defaultSkewThreshold: { value: RANKER.threshold } },
          predictionDriftDetectionConfig: { driftThresholds: thresholds, defaultDriftThreshold: { value: RANKER.threshold } },
        },
      })));
    });
  });

  describe('Azure ML: fraud-detector\'s custom resource in staging carries the monitor', () => {
    const t = () => template(stackOf('staging', 'fraud-detector'));
    const carried = () => customPlan<AzureMlModelPlan>(t(), 'Custom::AzureMlModel');

    it('each monitoring field of the spec, in Azure ML\'s form: a cron trigger of five fields', () => {
      const m = carried().serving!.monitoring!;
      expect({ schedule: m.schedule, trigger: m.trigger, baselineUri: m.baselineUri, samplingPercent: m.samplingPercent, driftThreshold: m.driftThreshold, featureThresholds: m.featureThresholds, alertEmails: m.alertEmails }).toEqual({
        schedule: FRAUD.sagemakerCron, trigger: { cron: FRAUD.azureCron }, baselineUri: FRAUD.baseline.azureml, samplingPercent: FRAUD.sampling, driftThreshold: FRAUD.threshold, featureThresholds: FRAUD.features, alertEmails: FRAUD.emails,
      });
      expect([m.cron, m.intervalHours, m.snsTopicArn]).toEqual([undefined, undefined, undefined]);
      expect(carried()).toEqual(modelPlan('staging', 'fraud-detector').azureml);
    });

    it('the reconciler builds from it the schedule the spec asks for', () => {
      const target = { model: 'fraud-detector', environment: 'staging' };
      const body = monitorScheduleBody(carried(), target) as any;
      expect(body).toEqual(monitorScheduleBody(modelPlan('staging', 'fraud-detector').azureml!, target));
      const def = body.properties.action.monitorDefinition;
      expect(body.properties.trigger).toEqual({ triggerType: 'Cron', expression: FRAUD.azureCron, timeZone: 'UTC' });
      expect(def.alertNotificationSettings).toEqual({ emailNotificationSettings: { emails: FRAUD.emails } });
      // staging serves 7 (90 %) and 8 (10 %): per deployment, drift over all features at the default, one signal for
      // each stricter threshold over its features, prediction drift at the default; the baseline is each data drift's reference.
      const signals = Object.fromEntries(Object.entries(def.signals as Record<string, any>).map(([name, s]) => [
        name,
        [s.signalType, s.features ?? null, s.metricThresholds.map((m: any) => m.threshold.value), s.signalType === 'DataDrift' ? s.referenceData.uri : null],
      ]));
      expect(signals).toEqual({
        data_drift_v7: ['DataDrift', { filterType: 'AllFeatures' }, [0.3, 0.3], FRAUD.baseline.azureml],
        data_drift_v8: ['DataDrift', { filterType: 'AllFeatures' }, [0.3, 0.3], FRAUD.baseline.azureml],
        data_drift_v7_1: ['DataDrift', { filterType: 'FeatureSubset', features: ['amount'] }, [0.1, 0.1], FRAUD.baseline.azureml],
        data_drift_v7_2: ['DataDrift', { filterType: 'FeatureSubset', features: ['merchant_category'] }, [0.2, 0.2], FRAUD.baseline.azureml],
        prediction_drift_v7: ['PredictionDrift', null, [0.3, 0.3], null],
        data_drift_v8_1: ['DataDrift', { filterType: 'FeatureSubset', features: ['amount'] }, [0.1, 0.1], FRAUD.baseline.azureml],
        data_drift_v8_2: ['DataDrift', { filterType: 'FeatureSubset', features: ['merchant_category'] }, [0.2, 0.2], FRAUD.baseline.azureml],
        prediction_drift_v8: ['PredictionDrift', null, [0.3, 0.3], null],
      });
    });
  });

  it('every environment: each stack of a monitored model declares one SageMaker monitor and carries the Vertex / Azure ML one; support-assistant none', () => {
    for (const env of plan.environments) {
      for (const model of ['fraud-detector', 'search-ranker', 'support-assistant']) {
        const t = template(stackOf(env.name, model));
        const monitored = model !== 'support-assistant';
        expect(Object.keys(t.findResources('AWS::SageMaker::MonitoringSchedule'))).toHaveLength(monitored ? 1 : 0);
        expect(Object.keys(t.findResources('AWS::SageMaker::DataQualityJobDefinition'))).toHaveLength(monitored ? 1 : 0);
        for (const type of ['Custom::VertexModel', 'Custom::AzureMlModel']) {
          for (const r of Object.values(t.findResources(type))) expect(Boolean(JSON.parse(r.Properties.Plan).serving?.monitoring)).toBe(monitored);
        }
      }
    }
  });

  it('cdk-nag AwsSolutions and NIST 800-53 R5: every model stack and handlers stack is clean, without warnings', () => {
    for (const stack of [...stacks, ...handlers]) {
      expect([stack.stackName, nagFindings(stack)]).toEqual([stack.stackName, []]);
      expect([stack.stackName, Annotations.fromStack(stack).findWarning('*', Match.anyValue())]).toEqual([stack.stackName, []]);
    }
  });
});
