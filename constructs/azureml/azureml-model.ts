import { ArnFormat, CustomResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { AzureMlModelPlan } from '../../lib/plan/types';
import { ENTRA_AUDIENCE } from '../../lib/providers/azureml/audience';
import { acknowledge, acknowledgeWildcardResource } from '../nag';
import { ReconcilerProvider, type IReconcilerHandlers } from '../reconciler-provider';

export interface AzureMlModelProps {
  /** The model's Azure ML plan: model versions, online endpoint, deployments, traffic and mirror traffic. */
  readonly plan: AzureMlModelPlan;
  /** Model and environment names, for error messages. */
  readonly model: string;
  readonly environment: string;
  /**
   * Keep the endpoint when the stack is deleted (model versions are always kept).
   * @default false
   */
  readonly protected?: boolean;
  /** The Entra ID tenant and the app registration the handler signs in as. */
  readonly tenantId?: string;
  readonly clientId?: string;
  /**
   * A Secrets Manager secret (name) holding the app's client secret, read at run time, for teams
   * that cannot use federation. @default - federation: the handler role's web identity token
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

export class AzureMlModel extends Construct {
  public readonly resource: CustomResource;
  /** The handlers' role: the identity the app registration's federated credential trusts. */
  public readonly handlerRole: iam.IRole;
  /** ARM id and scoring URI of the online endpoint after deployment. */
  public readonly endpointId: string;
  public readonly scoringUri: string;

  constructor(scope: Construct, id: string, props: AzureMlModelProps) {
    super(scope, id);
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
      allowAzureSignIn(this, own.handlerRole, props.clientSecretName, `mlspec Azure ML sign-in of ${props.model} in ${props.environment}`);
      provider = own;
    }
    this.handlerRole = provider.handlerRole;

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AzureMlModel',
      properties: {
        Plan: JSON.stringify(props.plan),
        Model: props.model,
        Environment: props.environment,
        Protected: String(props.protected ?? false),
        TenantId: props.tenantId ?? '',
        ClientId: props.clientId ?? '',
        ClientSecretName: props.clientSecretName ?? '',
      },
    });
    this.endpointId = this.resource.getAttString('EndpointId');
    this.scoringUri = this.resource.getAttString('ScoringUri');
  }
}
