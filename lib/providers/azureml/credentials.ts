import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { GetWebIdentityTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { ENTRA_AUDIENCE } from './audience';

export { ENTRA_AUDIENCE };

export interface AzureIdentity {
  readonly tenantId: string;
  readonly clientId: string;
  /** A Secrets Manager secret holding the app registration's client secret, for teams without federation. */
  readonly clientSecretName?: string;
}

/**
 * Azure credentials without a long-lived secret: the handler's AWS role asks STS for a signed web
 * identity token (IAM outbound identity federation, `sts:GetWebIdentityToken`), and Entra ID
 * trusts it through a federated identity credential on the app registration.
 */
export function federatedCredential(identity: AzureIdentity, sts: Pick<STSClient, 'send'> = new STSClient({})): TokenCredential {
  return new ClientAssertionCredential(identity.tenantId, identity.clientId, webIdentityAssertion(sts));
}

/** The client assertion: a 5-minute RS256 token for Entra ID's exchange, signed by AWS STS for the handler role. */
export function webIdentityAssertion(sts: Pick<STSClient, 'send'>): () => Promise<string> {
  return async () => {
    const out = await sts.send(new GetWebIdentityTokenCommand({ Audience: [ENTRA_AUDIENCE], SigningAlgorithm: 'RS256', DurationSeconds: 300 }));
    if (!out.WebIdentityToken) throw new Error('sts:GetWebIdentityToken returned no token; is outbound identity federation enabled for the account (aws iam enable-outbound-web-identity-federation)?');
    return out.WebIdentityToken;
  };
}

/**
 * The fallback: the client secret read from Secrets Manager at run time (never in a template),
 * once per handler invocation.
 */
export class SecretsManagerClientSecretCredential implements TokenCredential {
  private inner?: Promise<TokenCredential>;

  constructor(
    private readonly identity: AzureIdentity & { readonly clientSecretName: string },
    private readonly secrets: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= this.secrets.send(new GetSecretValueCommand({ SecretId: this.identity.clientSecretName })).then((out) => {
      if (!out.SecretString) throw new Error(`secret ${this.identity.clientSecretName} has no string value; store the client secret as plain text`);
      return new ClientSecretCredential(this.identity.tenantId, this.identity.clientId, out.SecretString);
    });
    return (await this.inner).getToken(scopes, options);
  }
}

/** Federation unless the environment names a client secret. */
export function azureCredential(identity: AzureIdentity): TokenCredential {
  return identity.clientSecretName ? new SecretsManagerClientSecretCredential({ ...identity, clientSecretName: identity.clientSecretName }) : federatedCredential(identity);
}
