import { roleName } from '../../plan/names';
import IMAGES from './data/model-monitor-images.json';

/**
 * What the SageMaker monitor's construct (constructs/sagemaker/monitoring.ts) and its handler and
 * live reader (./monitoring.ts) share, without the AWS SDK: a construct user's synth loads no client.
 */

// ------------------------------------------------------------------ names and the analyzer image

/** The names of a monitored endpoint's monitor, shared by the construct and the live reader. */
export function monitorNames(endpointName: string): { schedule: string; role: string; alarm: (feature: string) => string } {
  return {
    // MonitoringScheduleName: 1-63 characters, [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
    schedule: `${endpointName.slice(0, 57).replace(/-+$/, '')}-drift`,
    // Ends in -monitor, so the baseline handler may pass `role/<project>-*-monitor` only.
    role: roleName(endpointName, 'monitor'),
    alarm: (feature) => `${endpointName}-drift-${feature}`,
  };
}

/** The analyzer image of SageMaker Model Monitor in a region (lib/providers/sagemaker/data/model-monitor-images.json). */
export function modelMonitorImage(region: string): string {
  const account = (IMAGES.registries as Record<string, string>)[region];
  if (!account) {
    throw new Error(`SageMaker publishes no Model Monitor analyzer image for region ${region} in mlspec's table (lib/providers/sagemaker/data/model-monitor-images.json, from the SageMaker Python SDK); it has ${Object.keys(IMAGES.registries).join(', ')}`);
  }
  const domain = (IMAGES.domains as Record<string, string>)[region] ?? IMAGES.defaultDomain;
  return `${account}.dkr.ecr.${region}.${domain}/${IMAGES.repository}`;
}

// ------------------------------------------------------------------ the baseline

/** What the baselining job runs on, as the construct sends it (`Job`, JSON). */
export interface BaselineJob {
  /** The training data (an s3:// object or prefix). */
  readonly BaselineUri: string;
  /** Where the attempts write: `<OutputUri>/<job name>/`. */
  readonly OutputUri: string;
  /** The monitoring role, which the job runs as. */
  readonly RoleArn: string;
  readonly ImageUri: string;
  /** The model's key: the job's volume and output. */
  readonly KmsKeyId: string;
  readonly InstanceType: string;
  readonly VolumeSizeInGB: number;
  readonly MaxRuntimeInSeconds: number;
  /** The analyzer's `dataset_format`, e.g. `{ csv: { header: true, output_columns_position: 'START' } }`. */
  readonly DatasetFormat: Record<string, unknown>;
}

/** The spec's drift thresholds (`Thresholds`, JSON). */
export interface DriftThresholds {
  readonly default: number;
  readonly features: Record<string, number>;
}
