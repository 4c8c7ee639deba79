import { CustomResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { VariantScaling } from '../../lib/providers/sagemaker/scaling';

export type { VariantScaling } from '../../lib/providers/sagemaker/scaling';

export interface VariantAutoscalingProps {
  readonly endpointName: string;
  /** Every autoscaled production variant, as the endpoint config declares it. */
  readonly variants: VariantScaling[];
  /** The endpoint's handler (EndpointHandler.serviceToken), built with autoscaling rights. */
  readonly serviceToken: string;
  /** Keep the variants' scaling when the stack is deleted (the endpoint is retained). */
  readonly retain: boolean;
}

/**
 * Autoscaling of an endpoint's production variants through two custom resources around the
 * endpoint: `before` (the endpoint depends on it) deregisters variants that the endpoint update
 * would remove or move to another instance type, which SageMaker otherwise refuses; `after`
 * (depends on the endpoint) registers the targets and target-tracking policies. CloudFormation's
 * own AWS::ApplicationAutoScaling resources cannot do this: a removed ScalableTarget is deleted
 * only after the endpoint update that needed it gone (aws-cdk#29626).
 */
export class VariantAutoscaling extends Construct {
  /** Runs ahead of the endpoint update. */
  public readonly before: CustomResource;
  /** Runs once the endpoint is updated. */
  public readonly after: CustomResource;

  constructor(scope: Construct, id: string, props: VariantAutoscalingProps) {
    super(scope, id);
    const properties = (phase: 'before' | 'after') => ({
      Kind: 'VariantScaling',
      EndpointName: props.endpointName,
      Phase: phase,
      Variants: JSON.stringify(props.variants),
      Retain: String(props.retain),
    });
    this.before = new CustomResource(this, 'Before', { serviceToken: props.serviceToken, resourceType: 'Custom::SageMakerVariantScaling', properties: properties('before') });
    this.after = new CustomResource(this, 'After', { serviceToken: props.serviceToken, resourceType: 'Custom::SageMakerVariantScaling', properties: properties('after') });
  }
}
