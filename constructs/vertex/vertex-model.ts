import { CustomResource } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { VertexModelPlan } from '../../lib/plan/types';
import { ReconcilerProvider, type IReconcilerHandlers } from '../reconciler-provider';

export interface VertexModelProps {
  /** The model's Vertex plan: registry versions, endpoint, deployed models, traffic split. */
  readonly plan: VertexModelPlan;
  /** Model and environment names, for error messages. */
  readonly model: string;
  readonly environment: string;
  /**
   * Keep the endpoint when the stack is deleted (the registry is always kept).
   * @default false
   */
  readonly protected?: boolean;
  /** `projects/N/locations/global/workloadIdentityPools/POOL/providers/PROVIDER` trusting this stack's handler role. */
  readonly workloadIdentityProvider?: string;
  /** The Google service account the handler impersonates. @default - the federated identity itself */
  readonly serviceAccount?: string;
  /**
   * Key for the handler's logs (when it has handlers of its own).
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The environment's shared Vertex handlers (`addModelStacks` passes the handlers stack's).
   * @default - handlers of its own
   */
  readonly handlers?: IReconcilerHandlers;
}

/**
 * A model's Vertex AI registry and endpoint, deployed by `cdk deploy` through a custom resource
 * whose handler (lib/handlers/vertex, bundled) runs the reconciler with workload-identity
 * credentials: no Google key is stored anywhere. A change that adds serving versions rolls out in
 * the plan's canary / linear steps, watched through Cloud Monitoring and rolled back on the
 * `rollback` thresholds, by the Provider framework's isComplete waiter (at most one hour).
 */
/** The Vertex handlers' environment: no Google client may probe the metadata server. */
export const VERTEX_HANDLER_ENVIRONMENT = { METADATA_SERVER_DETECTION: 'none' };
export const VERTEX_NETWORK_REASON = 'Calls only the Vertex AI, Cloud Monitoring and Google STS public APIs over TLS; a VPC would add NAT without isolating anything.';

export class VertexModel extends Construct {
  public readonly resource: CustomResource;
  /** The handlers' role: the AWS identity Google's workload identity pool trusts. */
  public readonly handlerRole: iam.IRole;
  /** Vertex resource names after deployment. */
  public readonly modelName: string;
  public readonly endpointName: string;

  constructor(scope: Construct, id: string, props: VertexModelProps) {
    super(scope, id);
    const provider = props.handlers ?? ReconcilerProvider.forStack(this, {
      provider: 'vertex',
      title: 'Vertex AI',
      model: 'the models of this stack',
      environment: props.environment,
      encryptionKey: props.encryptionKey,
      environmentVariables: VERTEX_HANDLER_ENVIRONMENT,
      networkReason: VERTEX_NETWORK_REASON,
    });
    // Google access comes from federation, not IAM: the role keeps its logs-only policy.
    this.handlerRole = provider.handlerRole;
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::VertexModel',
      properties: {
        Plan: JSON.stringify(props.plan),
        Model: props.model,
        Environment: props.environment,
        Protected: String(props.protected ?? false),
        WorkloadIdentityProvider: props.workloadIdentityProvider ?? '',
        ServiceAccount: props.serviceAccount ?? '',
      },
    });
    this.modelName = this.resource.getAttString('ModelName');
    this.endpointName = this.resource.getAttString('EndpointName');
  }
}
