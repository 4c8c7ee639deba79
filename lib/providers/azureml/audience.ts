/** The audience Microsoft Entra ID expects in a federated credential's token (dependency-free: constructs import it). */
export const ENTRA_AUDIENCE = 'api://AzureADTokenExchange';
