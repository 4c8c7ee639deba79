import { CustomResource, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import type { VertexModelPlan } from '../../lib/plan/types';
import { keepsOnDelete, type MlspecProject } from '../project';
import { ReconcilerProvider, type IReconcilerHandlers } from '../reconciler-provider';

export interface VertexModelProps {
  /** The project whose plan says what to deploy: registry versions, endpoint, deployed models, traffic split. */
  readonly project: MlspecProject;
  /** The model (spec `models.<name>`); it must be on Vertex AI in the environment. */
  readonly model: string;
  /** The environment (spec `environments.<name>`). */
  readonly environment: string;
  /**
   * What happens to the endpoint when the stack is deleted (the registry's versions are always kept):
   * RETAIN keeps it.
   * @default RemovalPolicy.RETAIN in a `protected` environment, RemovalPolicy.DESTROY otherwise
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * `projects/N/locations/global/workloadIdentityPools/POOL/providers/PROVIDER` trusting the handler role.
   * @default the environment's `gcp.workloadIdentityProvider`
   */
  readonly workloadIdentityProvider?: string;
  /** The Google service account the handler impersonates. @default the environment's `gcp.serviceAccount`, else the federated identity itself */
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

/** A model's Vertex AI registry entry and endpoint, made here or elsewhere. */
export interface IVertexModel extends IConstruct {
  /** `projects/<project>/locations/<region>/models/<id>`. */
  readonly modelName: string;
  /** `projects/<project>/locations/<region>/endpoints/<id>`. */
  readonly endpointName: string;
}

/** What names a Vertex model deployed elsewhere (by another stack or app). */
export interface VertexModelAttributes {
  /** `projects/<project>/locations/<region>/models/<id>`. */
  readonly modelName: string;
  /** `projects/<project>/locations/<region>/endpoints/<id>`. */
  readonly endpointName: string;
}

const VERTEX_RESOURCE = (kind: string) => new RegExp(`^projects/[^/]+/locations/[a-z0-9-]+/${kind}/[^/]+$`);

export class VertexModel extends Construct implements IVertexModel {
  /** A Vertex model deployed elsewhere, by its resource names (for example to hand its endpoint to an application). */
  public static fromVertexModelAttributes(scope: Construct, id: string, attrs: VertexModelAttributes): IVertexModel {
    for (const [prop, kind] of [['modelName', 'models'], ['endpointName', 'endpoints']] as const) {
      const value = attrs[prop];
      if (!Token.isUnresolved(value) && !VERTEX_RESOURCE(kind).test(value)) {
        throw new Error(`VertexModel.fromVertexModelAttributes: ${prop} must be a Vertex resource name like projects/<project>/locations/<region>/${kind}/<id>; got '${value}'`);
      }
    }
    class Import extends Construct implements IVertexModel {
      public readonly modelName = attrs.modelName;
      public readonly endpointName = attrs.endpointName;
    }
    return new Import(scope, id);
  }

  public readonly resource: CustomResource;
  /** The handlers' role: the AWS identity Google's workload identity pool trusts. */
  public readonly handlerRole: iam.IRole;
  /** Vertex resource names after deployment. */
  public readonly modelName: string;
  public readonly endpointName: string;

  constructor(scope: Construct, id: string, props: VertexModelProps) {
    super(scope, id);
    const model = props.project._model(props.environment, props.model);
    const plan: VertexModelPlan | undefined = model.vertex;
    if (!plan) throw new Error(`${props.model} in ${props.environment}: the model is not on vertex there (its providers: ${model.providers.join(', ') || 'none'}); VertexModel needs a model whose spec lists vertex in that environment`);
    const retain = keepsOnDelete(props.removalPolicy, props.project._environment(props.environment).protected);
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
        Plan: JSON.stringify(plan),
        Model: props.model,
        Environment: props.environment,
        Protected: String(retain),
        WorkloadIdentityProvider: props.workloadIdentityProvider ?? plan.workloadIdentityProvider ?? '',
        ServiceAccount: props.serviceAccount ?? plan.serviceAccount ?? '',
      },
    });
    this.modelName = this.resource.getAttString('ModelName');
    this.endpointName = this.resource.getAttString('EndpointName');
  }
}
