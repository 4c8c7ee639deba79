import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, UpdateEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ensureKeepLiveConfig } from '../../../lib/providers/sagemaker/serving';
import type { FakeSageMaker } from '../../fakes/sagemaker/server';

/**
 * What CloudFormation does before a staged-weights resource: the models, the config of these
 * variants named `configName` (the EndpointConfig resource in keep-live mode: the live weights,
 * new versions at 0, dropped live versions kept; `asGiven`: the manifest's weights, as a config
 * without KeepLive), and the endpoint on it. Returns the config's name.
 */
export async function endpointServes(sm: FakeSageMaker, sagemaker: SageMakerClient, endpoint: string, configName: string, split: Record<string, number>, asGiven = false): Promise<string> {
  for (const v of Object.keys(split)) {
    try {
      await sagemaker.send(new CreateModelCommand({ ModelName: `fraud-${v}`, ExecutionRoleArn: 'arn:aws:iam::111111111111:role/model', PrimaryContainer: { Image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/serve:1', ModelDataUrl: `s3://models/${v}/model.tar.gz` } }));
    } catch (e) {
      // A fake without models, or a model made for an earlier config.
      if (!/not served by the fake|already exist/i.test((e as Error).message)) throw e;
    }
  }
  const desired = { ProductionVariants: Object.entries(split).map(([v, w]) => ({ VariantName: v, ModelName: `fraud-${v}`, InstanceType: 'ml.g4dn.xlarge' as const, InitialInstanceCount: 1, InitialVariantWeight: w })) };
  if (asGiven) await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: configName, ...desired }));
  else await ensureKeepLiveConfig(sagemaker, configName, desired, { endpointName: endpoint });
  if (sm.endpoints.has(endpoint)) await sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: configName }));
  else await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: configName }));
  return configName;
}
