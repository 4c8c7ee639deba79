import type { AzureMlDeploymentPlan, AzureMlModelPlan } from '../../plan/types';
import type { Call } from '../contract';
import { armRequest, unlessNotFound, workspaceId, type AzureMlClients } from './clients';

/**
 * Autoscaling of Azure ML online deployments: one Azure Monitor autoscale setting per deployment
 * (Microsoft.Insights, in the workspace's resource group, outside the endpoint), so it is created,
 * updated and deleted beside the deployment it scales.
 */

/** Autoscale settings are Azure Monitor resources (Microsoft.Insights), at their own api-version. */
const AUTOSCALE_API_VERSION = '2022-10-01';

/** One autoscale setting per deployment, in the workspace's resource group. */
export function autoscaleSettingName(plan: AzureMlModelPlan, deployment: string): string {
  return `${plan.serving!.endpointName}-${deployment}-autoscale`;
}

function autoscalePath(plan: AzureMlModelPlan, deployment: string): string {
  return `/subscriptions/${plan.subscription}/resourceGroups/${plan.resourceGroup}/providers/Microsoft.Insights/autoscalesettings/${autoscaleSettingName(plan, deployment)}`;
}

/**
 * The Azure Monitor autoscale setting of a deployment: capacity from replicas, a scale-out rule
 * above the target and a scale-in rule below half of it (hysteresis), five-minute windows.
 * Requests per minute are an endpoint metric split by deployment; GPU utilisation is the deployment's own.
 */
export function autoscaleSetting(plan: AzureMlModelPlan, want: AzureMlDeploymentPlan): Record<string, unknown> {
  const autoscale = want.autoscale!;
  const endpointId = `${workspaceId(plan)}/onlineEndpoints/${plan.serving!.endpointName}`;
  const deploymentId = `${endpointId}/deployments/${want.name}`;
  const perDeployment = autoscale.metricName === 'RequestsPerMinute';
  const trigger = (operator: 'GreaterThan' | 'LessThan', threshold: number) => ({
    metricName: autoscale.metricName,
    metricResourceUri: perDeployment ? endpointId : deploymentId,
    timeGrain: 'PT1M',
    statistic: 'Average',
    timeWindow: 'PT5M',
    timeAggregation: 'Average',
    operator,
    threshold,
    dividePerInstance: autoscale.dividePerInstance,
    ...(perDeployment ? { dimensions: [{ DimensionName: 'deployment', Operator: 'Equals', Values: [want.name] }] } : {}),
  });
  const action = (direction: 'Increase' | 'Decrease') => ({ direction, type: 'ChangeCount', value: '1', cooldown: 'PT5M' });
  return {
    location: plan.region,
    tags: { 'managed-by': 'mlspec' },
    properties: {
      name: autoscaleSettingName(plan, want.name),
      enabled: true,
      targetResourceUri: deploymentId,
      profiles: [
        {
          name: 'mlspec',
          capacity: { minimum: String(want.instanceCount), maximum: String(want.maxInstances), default: String(want.instanceCount) },
          rules: [
            { metricTrigger: trigger('GreaterThan', autoscale.target), scaleAction: action('Increase') },
            { metricTrigger: trigger('LessThan', autoscale.target / 2), scaleAction: action('Decrease') },
          ],
        },
      ],
    },
  };
}

/** Creates, updates (only when it differs) or deletes the deployment's autoscale setting. */
export async function reconcileAutoscale(plan: AzureMlModelPlan, want: AzureMlDeploymentPlan, clients: AzureMlClients, call: Call): Promise<void> {
  if (!want.autoscale) return deleteAutoscale(plan, want.name, clients, call);
  const path = autoscalePath(plan, want.name);
  const live = await call(`read the autoscale setting of ${want.name}`, () => unlessNotFound(() => armRequest(clients, 'GET', path, undefined, AUTOSCALE_API_VERSION)));
  const desired = autoscaleSetting(plan, want) as { properties: Record<string, unknown> };
  const have = live?.body?.properties as Record<string, unknown> | undefined;
  const same = have && JSON.stringify([have.enabled, have.targetResourceUri, have.profiles]) === JSON.stringify([desired.properties.enabled, desired.properties.targetResourceUri, desired.properties.profiles]);
  if (!same) await call(`set the autoscale setting of ${want.name}`, () => armRequest(clients, 'PUT', path, desired, AUTOSCALE_API_VERSION));
}

/** Deletes the deployment's autoscale setting when it has one. */
export async function deleteAutoscale(plan: AzureMlModelPlan, deployment: string, clients: AzureMlClients, call: Call): Promise<void> {
  const path = autoscalePath(plan, deployment);
  const live = await call(`read the autoscale setting of ${deployment}`, () => unlessNotFound(() => armRequest(clients, 'GET', path, undefined, AUTOSCALE_API_VERSION)));
  if (live) await call(`delete the autoscale setting of ${deployment}`, () => armRequest(clients, 'DELETE', path, undefined, AUTOSCALE_API_VERSION));
}

/** Deletes the deployment's autoscale setting without naming the call: the best-effort cleanup after a failed run. */
export async function dropAutoscale(plan: AzureMlModelPlan, deployment: string, clients: AzureMlClients): Promise<void> {
  await unlessNotFound(() => armRequest(clients, 'DELETE', autoscalePath(plan, deployment), undefined, AUTOSCALE_API_VERSION));
}
