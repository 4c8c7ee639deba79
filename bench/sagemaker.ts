import { CreateEndpointCommand, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { onEvent, type SageMakerEvent } from '../lib/handlers/sagemaker';
import type { VariantScaling } from '../lib/providers/sagemaker/scaling';
import { createModels, FakeSageMaker } from '../test/fakes/sagemaker/server';

const ROOT = path.resolve(__dirname, '..');
// The pinned AWS SDK runs on Node 20; its notice that later releases need Node 22 is noise here (as in bin/mlspec.js).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ENDPOINT = 'acme-fraud-detector-prod';
const POLICY = { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' as const }, ScaleInCooldown: 300, ScaleOutCooldown: 60 };

/**
 * Calls the SageMaker handler makes per `cdk deploy` scenario (configs, weights, variant
 * autoscaling, registry), against the fake, in CloudFormation's order. The models' CreateModel and
 * the endpoint's own CreateEndpoint / UpdateEndpoint are CloudFormation's and not counted.
 */
export async function bench(): Promise<{ rows: { scenario: string; calls: number; writes: number }[]; bundleBytes?: number }> {
  const fake = new FakeSageMaker();
  await fake.start();
  const deps = { clients: () => fake.clients(), wait: { pollMs: 1 } };
  const rows: { scenario: string; calls: number; writes: number }[] = [];
  let ours = 0;
  let oursWrites = 0;
  const call = async (e: SageMakerEvent) => {
    const from = fake.calls.length;
    const out = await onEvent(e, deps);
    ours += fake.calls.length - from;
    oursWrites += fake.writes(from).length;
    return out;
  };
  const ev = (RequestType: SageMakerEvent['RequestType'], ResourceProperties: Record<string, string>, PhysicalResourceId?: string) => ({ RequestType, ResourceProperties, PhysicalResourceId }) as unknown as SageMakerEvent;
  const scaling = (variants: string[]) => JSON.stringify(variants.map((v): VariantScaling => ({ variantName: v, instanceType: 'ml.g5.xlarge', minCapacity: 1, maxCapacity: 4, policy: POLICY })));
  const configProps = (split: Record<string, number>) => ({
    Kind: 'EndpointConfig',
    EndpointConfigName: `${ENDPOINT}-${Object.keys(split).join('')}`,
    Config: JSON.stringify({ ProductionVariants: Object.entries(split).map(([v, w]) => ({ VariantName: `v${v}`, ModelName: `m${v}`, InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: w })) }),
  });
  const weights = (split: Record<string, number>) => ({ Kind: 'VariantWeights', EndpointName: ENDPOINT, Weights: JSON.stringify(Object.entries(split).map(([v, w]) => ({ VariantName: `v${v}`, DesiredWeight: w }))) });
  const phase = (p: string, variants: string[]) => ({ Kind: 'VariantScaling', EndpointName: ENDPOINT, Phase: p, Variants: scaling(variants), Retain: 'false' });

  /** One deploy: scaling before, the config, the endpoint (CloudFormation), weights, scaling after, the replaced config's delete. */
  const deploy = async (scenario: string, split: Record<string, number>, previous?: Record<string, number>) => {
    ours = 0;
    oursWrites = 0;
    const variants = Object.keys(split).map((v) => `v${v}`);
    const sameSet = previous && Object.keys(previous).join() === Object.keys(split).join();
    const type = previous ? 'Update' : 'Create';
    await call(ev(type, phase('before', variants), `${ENDPOINT}/scaling-before`));
    if (sameSet) {
      await call(ev('Update', configProps(split), configProps(split).EndpointConfigName));
      await call(ev('Update', weights(split), `${ENDPOINT}-weights`));
    } else {
      // CloudFormation's AWS::SageMaker::Model resources come first (not counted, like the endpoint's calls).
      await createModels(fake, Object.keys(split).map((v) => `m${v}`));
      const config = await call(ev('Create', configProps(split)));
      const sm = fake.clients().sagemaker;
      if (previous) await sm.send(new UpdateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: config.PhysicalResourceId, RetainAllVariantProperties: true }));
      else await sm.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: config.PhysicalResourceId }));
      await call(ev('Create', weights(split)));
    }
    await call(ev(type, phase('after', variants), `${ENDPOINT}/scaling-after`));
    if (previous && !sameSet) await call(ev('Delete', configProps(previous), configProps(previous).EndpointConfigName));
    rows.push({ scenario, calls: ours, writes: oursWrites });
  };
  const log = console.log;
  // The handler logs what it did, as in Lambda; the bench prints only its table.
  console.log = () => undefined;
  try {
    await deploy('first deploy (one version)', { 7: 100 });
    await deploy('retried deploy, same state', { 7: 100 }, { 7: 100 });
    await deploy('add version (10 %)', { 7: 90, 8: 10 }, { 7: 100 });
    await deploy('traffic-only (90/10 → 50/50)', { 7: 50, 8: 50 }, { 7: 90, 8: 10 });
    await deploy('retire autoscaled v7', { 8: 100 }, { 7: 50, 8: 50 });
    // The registry: a first deploy of two versions, then the stack deleted (registry kept) and created again.
    const registry = async (scenario: string) => {
      ours = 0;
      oursWrites = 0;
      await call(ev('Create', { Kind: 'ModelPackageGroup', Group: JSON.stringify({ name: 'acme-fraud-detector', tags: { 'mlspec:project': 'acme' } }) }));
      for (const label of ['7', '8']) {
        await call(ev('Create', { Kind: 'ModelVersion', Version: JSON.stringify({ group: 'acme-fraud-detector', label, description: `v${label}`, approvalStatus: 'PendingManualApproval', image: 'i', modelDataUrl: `s3://m/${label}`, contentTypes: ['application/json'], responseTypes: ['application/json'], metadata: { 'mlspec:version': label }, tags: { 'mlspec:project': 'acme' } }) }));
      }
      rows.push({ scenario, calls: ours, writes: oursWrites });
    };
    await registry('registry: 2 versions');
    await registry('registry: stack re-created');
    // A registry of 1,000 versions (straight into the fake's store): taking back the oldest label
    // (a stack created again beside it) and registering a new label, as one ModelVersion Create each.
    const big = async (scenario: string, group: string, tagged: boolean, label: string) => {
      if (!fake.groups.has(group)) {
        fake.smCreateModelPackageGroup({ ModelPackageGroupName: group });
        for (let i = 0; i < 1000; i++) {
          fake.smCreateModelPackage({
            ModelPackageGroupName: group,
            CustomerMetadataProperties: { 'mlspec:version': `l${i}` },
            InferenceSpecification: { Containers: [{ Image: 'i', ModelDataUrl: `s3://m/l${i}` }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
            // As mlspec registers a version (its label also a tag), or as releases before that left it.
            Tags: [{ Key: 'mlspec:project', Value: 'acme' }, ...(tagged ? [{ Key: 'mlspec:version', Value: `l${i}` }] : [])],
          });
        }
      }
      ours = 0;
      oursWrites = 0;
      await call(ev('Create', { Kind: 'ModelVersion', Version: JSON.stringify({ group, label, description: label, approvalStatus: 'PendingManualApproval', image: 'i', modelDataUrl: `s3://m/${label}`, contentTypes: ['application/json'], responseTypes: ['application/json'], metadata: { 'mlspec:version': label }, tags: { 'mlspec:project': 'acme' } }) }));
      rows.push({ scenario, calls: ours, writes: oursWrites });
    };
    await big('registry: oldest of 1,000', 'acme-big', true, 'l0');
    await big('registry: new beside 1,000', 'acme-big', true, 'new');
    await big('registry: oldest, untagged', 'acme-old', false, 'l0');
  } finally {
    console.log = log;
    await fake.stop();
  }
  const bundle = path.join(ROOT, 'dist/handlers/sagemaker/index.js');
  return { rows, bundleBytes: existsSync(bundle) ? statSync(bundle).size : undefined };
}
