/** Azure ML storage URIs, shared by validation and the reconciler (kept small: it is bundled into the handler). */

/** `azureml://datastores/<name>/paths/...`: a path relative to the workspace the request is made in. */
export function isWorkspaceDatastoreUri(uri: string): boolean {
  return uri.startsWith('azureml://datastores/');
}

export function workspaceUriInRegistry(uri: string, registry: string, envName: string): string {
  return `"${uri}" is a path in a workspace datastore, and versions of this model are registered in the Azure ML registry "${registry}" (environments.${envName}.azure.registry), which has no datastores and cannot resolve it; give the artifact as an https:// storage URI, or leave out azure.registry to register versions in the workspace`;
}
