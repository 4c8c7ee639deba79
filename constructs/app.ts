import type { Construct } from 'constructs';
import { handlerNames, HandlersStack } from './handlers-stack';
import { ModelStack } from './model-stack';
import type { Plan } from '../lib/plan/types';
import { MlspecProject, projectFromPlan, type ProjectFiles } from './project';

/**
 * The entry point of a CDK app (TypeScript or Python): a handlers stack per environment, then a
 * ModelStack per model per environment that has an `aws` block, deployed to that account and
 * region.
 *
 *   MlspecApp.addModelStacks(app, { specPath: 'mlspec.yaml', releasesPath: 'releases.yaml' });
 */
export class MlspecApp {
  /** Reads the spec and releases (see `MlspecProject.fromFiles`) and adds the project's stacks to the app. */
  public static addModelStacks(scope: Construct, files: ProjectFiles): ModelStack[] {
    const project = MlspecProject.fromFiles(files);
    // Warnings (such as a pinned SKU in a region mlspec's table does not list) are printed and do not stop synth.
    if (project.warnings) process.stderr.write(project.warnings);
    return MlspecApp.addProjectStacks(scope, project);
  }

  /**
   * The stacks of a project already read. The model package group is per account and region
   * (`<project>-<model>`): the first environment in plan order that lands in an account/region owns
   * it, later ones import it.
   */
  public static addProjectStacks(scope: Construct, project: MlspecProject): ModelStack[] {
    const stacks: ModelStack[] = [];
    const registryOwners = new Set<string>();
    for (const env of project._plan.environments) {
      if (!env.aws) continue;
      // The environment's handlers, once; model stacks refer to them by name and deploy after them.
      const handlers = new HandlersStack(scope, handlerNames(project.name, env.name).stackName, {
        project,
        environment: env.name,
        env: { account: env.aws.account, region: env.aws.region },
      });
      for (const model of env.models) {
        const group = model.sagemaker?.registry.modelPackageGroupName;
        const key = group ? `${model.sagemaker!.account}/${model.sagemaker!.region}/${group}` : undefined;
        const ownsRegistry = key ? !registryOwners.has(key) : true;
        if (key) registryOwners.add(key);
        const stack = new ModelStack(scope, model.stackName, {
          project,
          model: model.name,
          environment: env.name,
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

  private constructor() {}
}

/** TypeScript apps holding a plan (`resolvePlan`): `MlspecApp.addProjectStacks` of that plan. */
export function addModelStacks(scope: Construct, plan: Plan): ModelStack[] {
  return MlspecApp.addProjectStacks(scope, projectFromPlan(plan));
}
