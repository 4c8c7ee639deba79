import { googleAuthLibrary } from 'google-gax';

/** The `gcp` block's identity settings: Workload Identity Federation from the handler's AWS role. */
export interface WorkloadIdentity {
  /** `projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER`. */
  readonly workloadIdentityProvider: string;
  /** The service account to impersonate, `name@project.iam.gserviceaccount.com`. */
  readonly serviceAccount?: string;
}

/**
 * The external-account (AWS) credential configuration google-auth-library exchanges for Google
 * tokens: it signs a GetCallerIdentity request with the Lambda role's own credentials, so no
 * long-lived Google key exists anywhere.
 */
export function workloadIdentityConfig(id: WorkloadIdentity): Record<string, unknown> {
  return {
    type: 'external_account',
    audience: `//iam.googleapis.com/${id.workloadIdentityProvider}`,
    subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request',
    token_url: 'https://sts.googleapis.com/v1/token',
    credential_source: {
      environment_id: 'aws1',
      regional_cred_verification_url: 'https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15',
    },
    ...(id.serviceAccount ? { service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${id.serviceAccount}:generateAccessToken` } : {}),
  };
}

/** An auth client for the Vertex clients' `authClient` option. */
export function workloadIdentityClient(id: WorkloadIdentity): googleAuthLibrary.BaseExternalAccountClient {
  const client = googleAuthLibrary.ExternalAccountClient.fromJSON(workloadIdentityConfig(id) as never);
  if (!client) throw new Error(`cannot build Google credentials from workload identity provider ${id.workloadIdentityProvider}`);
  return client;
}
