/**
 * Facts about SageMaker hosting instance types that decide what a template may say.
 */

export { hasInstanceStorage } from '../../lib/catalog/instance-storage';

export const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9]+$/;
