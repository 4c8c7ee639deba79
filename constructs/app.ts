import type { App } from 'aws-cdk-lib';
import type { Plan } from '../lib/plan/types';
import { handlerNames, HandlersStack } from './handlers-stack';
import { ModelStack } from './model-stack';

/**
 * One ModelStack per model per environment that has an `aws` block, deployed to that account and
 * region. The model package group is per account and region (`<project>-<model>`): the first
 * environment in plan order that lands in an account/region owns it, later ones import it.
 */
export function addModelStacks(app: App, plan: Plan): ModelStack[] {
  const stacks: ModelStack[] = [];
  const registryOwners = new Set<string>();
  for (const env of plan.environments) {
    if (!env.aws) continue;
    // The environment's handlers, once; model stacks refer to them by name and deploy after them.
    const handlers = new HandlersStack(app, handlerNames(plan.project, env.name).stackName, {
      project: plan.project,
      environment: env,
      env: { account: env.aws.account, region: env.aws.region },
    });
    for (const model of env.models) {
      const group = model.sagemaker?.registry.modelPackageGroupName;
      const key = group ? `${model.sagemaker!.account}/${model.sagemaker!.region}/${group}` : undefined;
      const ownsRegistry = key ? !registryOwners.has(key) : true;
      if (key) registryOwners.add(key);
      const stack = new ModelStack(app, model.stackName, {
        project: plan.project,
        plan: model,
        protected: env.protected,
        ownsRegistry,
        env: { account: env.aws.account, region: env.aws.region },
        sharedHandlers: true,
      });
      stack.addStackDependency(handlers);
      stacks.push(stack);
    }
  }
  return stacks;
}
