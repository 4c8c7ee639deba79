/** Families whose name does not show it (no `d`) but that come with NVMe instance storage. */
const INSTANCE_STORE_FAMILIES = new Set(['g5', 'g6', 'g6e', 'g7', 'g7e', 'p5', 'p5e', 'p5en', 'p6-b200', 'p6e-gb200', 'trn1', 'trn1n', 'trn2', 'dl1']);

/**
 * True when the SageMaker instance type has local NVMe instance storage (ml.g4dn, ml.g5, ml.p4d,
 * ml.m5d, ...). Those volumes are encrypted by the instance's hardware module, and SageMaker refuses
 * a key for them: CreateEndpointConfig.KmsKeyId and CreateTrainingJob's ResourceConfig.VolumeKmsKeyId
 * (SageMaker API reference: "You can't request a VolumeKmsKeyId when using an instance type with
 * local storage").
 */
export function hasInstanceStorage(instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? '';
  if (INSTANCE_STORE_FAMILIES.has(family)) return true;
  // EC2 naming: a `d` among the attribute letters after the generation digit (c5d, m6gd, g4dn, p4de, p3dn).
  return /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family);
}
