import { pricePerHour, spotDiscount } from '../catalog';
import type { Provider } from '../catalog/types';
import type { CostPlan, TrainingPlan } from './types';

/** Hours in an average month, as the providers' own calculators count them. */
export const HOURS_PER_MONTH = 730;

export interface ServingNode {
  readonly instanceType: string;
  readonly replicas: number;
  /** The resolved SKU's price (it knows attached GPUs, such as a T4 on a Vertex N1 machine). */
  readonly pricePerHour?: number;
}

/** Serving per hour/month at minimum replicas, and one training run; SKUs without a price are listed, not guessed. */
export function estimateCost(provider: Provider, region: string, serving: readonly ServingNode[], training?: TrainingPlan & { readonly pricePerHour?: number }): CostPlan {
  const unpriced = new Set<string>();
  let perHour: number | undefined;
  for (const node of serving) {
    const price = node.pricePerHour ?? pricePerHour(provider, node.instanceType, region, 'serving');
    if (price === undefined) unpriced.add(node.instanceType);
    else perHour = (perHour ?? 0) + price * node.replicas;
  }
  let trainingRun: number | undefined;
  if (training) {
    const price = training.pricePerHour ?? pricePerHour(provider, training.instanceType, region, 'training');
    if (price === undefined) unpriced.add(training.instanceType);
    else {
      const hours = training.maxRuntimeSeconds / 3600;
      const discount = training.spot ? spotDiscount(provider) : 0;
      trainingRun = round(price * training.nodes * hours * (1 - discount) * (training.tuning ? training.tuning.maxTrials : 1));
    }
  }
  return {
    servingPerHourUsd: perHour === undefined ? undefined : round(perHour),
    servingPerMonthUsd: perHour === undefined ? undefined : round(perHour * HOURS_PER_MONTH),
    trainingRunUsd: trainingRun,
    unpriced: [...unpriced].sort(),
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
