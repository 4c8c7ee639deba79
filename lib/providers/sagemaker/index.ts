import type { ProviderModule, ServingCapability } from '../contract';
import { clientsCapability, type SageMakerClients } from './clients';
import { liveCapability } from './live';
import { registryCapability } from './registry';
import { trainingCapability } from './runs';
import { advanceStagedWeights } from './staged';

/**
 * SageMaker as the provider contract (lib/providers/contract.ts) sees it: each capability is
 * declared in its file, serving here. CloudFormation holds the endpoint and the model stack's
 * resources (constructs/sagemaker); mlspec's own custom resources (lib/handlers/sagemaker.ts, one
 * `Kind` per job) run what CloudFormation cannot:
 * - registry.ts: the model package group and versions, taken back by name and label;
 * - serving.ts: endpoint configs and the live split; scaling.ts: variant autoscaling around the
 *   endpoint update; staged.ts: the staged walk of the weights; signals.ts: its CloudWatch alarms;
 * - training.ts: the pipeline definition (`cdk deploy`); runs.ts: its runs (`mlspec train`).
 */
const servingCapability = {
  advanceRollout: advanceStagedWeights,
  // AWS::SageMaker::Endpoint is CloudFormation's own resource: CloudFormation deletes it.
  deleteEndpoint: 'cloudformation',
} as const satisfies ServingCapability;

export const sagemakerProvider = { name: 'sagemaker', clients: clientsCapability, registry: registryCapability, serving: servingCapability, training: trainingCapability, live: liveCapability } as const satisfies ProviderModule<'sagemaker', SageMakerClients>;
