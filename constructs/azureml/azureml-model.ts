import { ArnFormat, CustomResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import type { AzureMlModelPlan } from '../../lib/plan/types';
import { ENTRA_AUDIENCE } from '../../lib/providers/azureml/audience';
import { acknowledge, acknowledgeWildcardResource } from '../nag';
import { keepsOnDelete, type MlspecProject } from '../project';
import { ReconcilerProvider, type IReconcilerHandlers } from '../reconciler-provider';

export interface AzureMlModelProps {
  /** The project whose plan says what to deploy: model versions, online endpoint, deployments, traffic and mirror traffic. */
  readonly project: MlspecProject;
  /** The model (spec `models.<name>`); it must be on Azure ML in the environment. */
  readonly model: string;
  /** The environment (spec `environments.<name>`). */
  readonly environment: string;
  /**
   * What happens to the endpoint when the stack is deleted (model versions are always kept):
   * RETAIN keeps it.
   * @default RemovalPolicy.RETAIN in a `protected` environment, RemovalPolicy.DESTROY otherwise
   */
  readonly removalPolicy?: RemovalPolicy;
  /** The Entra ID tenant the handler signs in to. @default the environment's `azure.tenantId` */
  readonly tenantId?: string;
  /** The app registration the handler signs in as. @default the environment's `azure.clientId` */
  readonly clientId?: string;
  /**
   * A Secrets Manager secret (name) holding the app's client secret, read at run time, for teams
   * that cannot use federation. @default the environment's `azure.clientSecretName`, else federation: the handler role's web identity token
   */
  readonly clientSecretName?: string;
  /**
   * The environment's shared Azure ML handlers (`addModelStacks` passes the handlers stack's).
   * @default - handlers of its own
   */
  readonly handlers?: IReconcilerHandlers;
  /** Key for the handlers' logs and environment. @default - a new key with rotation */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A model's Azure ML model versions and managed online endpoint, deployed by `cdk deploy` through
 * a custom resource whose handler (lib/handlers/azureml, bundled) runs the reconciler. The handler
 * signs in to Entra ID with a token its AWS role obtains from `sts:GetWebIdentityToken` (no
 * secret anywhere), or with a client secret it reads from Secrets Manager when one is named.
 * Staged rollouts are walked by the Provider framework's isComplete waiter, watching Azure Monitor.
 */
export const AZUREML_NETWORK_REASON = 'Calls only Azure Resource Manager, Microsoft Entra ID and AWS STS / Secrets Manager public APIs over TLS; a VPC would add NAT without isolating anything.';

/**
 * What the Azure ML handlers' role needs to sign in to Entra ID: read the one client secret, or
 * mint short-lived RS256 tokens for Entra ID's token exchange, and nothing else.
 */
export function allowAzureSignIn(scope: Construct, role: iam.IRole, clientSecretName: string | undefined, description: string): iam.ManagedPolicy {
  const stack = Stack.of(scope);
  const statements = clientSecretName
    ? // Secrets Manager appends six random characters to a secret's ARN.
      [new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${clientSecretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })] })]
    : [
        new iam.PolicyStatement({
          actions: ['sts:GetWebIdentityToken'],
          resources: ['*'],
          conditions: {
            'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': [ENTRA_AUDIENCE] },
            NumericLessThanEquals: { 'sts:DurationSeconds': 300 },
            StringEquals: { 'sts:SigningAlgorithm': 'RS256' },
          },
        }),
      ];
  const policy = new iam.ManagedPolicy(scope, 'AzurePolicy', { roles: [role], statements, description });
  if (clientSecretName) acknowledgeWildcardResource(policy, statements[0].resources[0], 'Secrets Manager ends every secret ARN with six random characters; the ?????? matches exactly those of this one secret.');
  else acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', 'sts:GetWebIdentityToken has no resource-level permissions (AWS IAM documentation); the conditions pin the audience to Entra ID token exchange, RS256 and 5-minute tokens.');
  return policy;
}

/** A model's Azure ML online endpoint, made here or elsewhere. */
export interface IAzureMlModel extends IConstruct {
  /** ARM id of the online endpoint. */
  readonly endpointId: string;
  /** The endpoint's scoring URI. */
  readonly scoringUri: string;
}

/** What names an Azure ML online endpoint deployed elsewhere (by another stack or app). */
export interface AzureMlModelAttributes {
  /** `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace>/onlineEndpoints/<name>`. */
  readonly endpointId: string;
  /** `https://<name>.<region>.inference.ml.azure.com/score`. */
  readonly scoringUri: string;
}

const ONLINE_ENDPOINT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/onlineEndpoints\/[^/]+$/i;

export class AzureMlModel extends Construct implements IAzureMlModel {
  /** An Azure ML online endpoint deployed elsewhere, by its ARM id and scoring URI. */
  public static fromAzureMlModelAttributes(scope: Construct, id: string, attrs: AzureMlModelAttributes): IAzureMlModel {
    if (!Token.isUnresolved(attrs.endpointId) && !ONLINE_ENDPOINT_ID.test(attrs.endpointId)) {
      throw new Error(`AzureMlModel.fromAzureMlModelAttributes: endpointId must be an online endpoint's ARM id like /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace>/onlineEndpoints/<name>; got '${attrs.endpointId}'`);
    }
    if (!Token.isUnresolved(attrs.scoringUri) && !/^https:\/\//.test(attrs.scoringUri)) {
      throw new Error(`AzureMlModel.fromAzureMlModelAttributes: scoringUri must be the endpoint's https:// scoring URI; got '${attrs.scoringUri}'`);
    }
    class Import extends Construct implements IAzureMlModel {
      public readonly endpointId = attrs.endpointId;
      public readonly scoringUri = attrs.scoringUri;
    }
    return new Import(scope, id);
  }

  public readonly resource: CustomResource;
  /** The handlers' role: the identity the app registration's federated credential trusts. */
  public readonly handlerRole: iam.IRole;
  /** ARM id and scoring URI of the online endpoint after deployment. */
  public readonly endpointId: string;
  public readonly scoringUri: string;

  constructor(scope: Construct, id: string, props: AzureMlModelProps) {
    super(scope, id);
    const model = props.project._model(props.environment, props.model);
    const plan: AzureMlModelPlan | undefined = model.azureml;
    if (!plan) throw new Error(`${props.model} in ${props.environment}: the model is not on azureml there (its providers: ${model.providers.join(', ') || 'none'}); AzureMlModel needs a model whose spec lists azureml in that environment`);
    const retain = keepsOnDelete(props.removalPolicy, props.project._environment(props.environment).protected);
    const clientSecretName = props.clientSecretName ?? plan.clientSecretName;
    let provider: IReconcilerHandlers;
    if (props.handlers) {
      // The handlers stack gave its role the environment's Azure sign-in.
      provider = props.handlers;
    } else {
      const own = ReconcilerProvider.forStack(this, {
        provider: 'azureml',
        title: 'Azure ML',
        model: 'the models of this stack',
        environment: props.environment,
        encryptionKey: props.encryptionKey,
        networkReason: AZUREML_NETWORK_REASON,
      });
      allowAzureSignIn(this, own.handlerRole, clientSecretName, `mlspec Azure ML sign-in of ${props.model} in ${props.environment}`);
      provider = own;
    }
    this.handlerRole = provider.handlerRole;

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AzureMlModel',
      properties: {
        Plan: JSON.stringify(plan),
        Model: props.model,
        Environment: props.environment,
        Protected: String(retain),
        TenantId: props.tenantId ?? plan.tenantId ?? '',
        ClientId: props.clientId ?? plan.clientId ?? '',
        ClientSecretName: clientSecretName ?? '',
      },
    });
    this.endpointId = this.resource.getAttString('EndpointId');
    this.scoringUri = this.resource.getAttString('ScoringUri');
  }
}
