export * from './types';
export { acceleratorsOffered, catalogSources, pricePerHour, resolveAccelerator, resolveInstanceType, spotDiscount } from './lookup';
