export * from './types';
export { resolveAccelerator } from './resolve';
export { resolveInstanceType } from './instance-type';
export { acceleratorsOffered } from './offered';
export { pricePerHour, spotDiscount } from './prices';
export { catalogSources } from './sources';
