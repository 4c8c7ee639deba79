import { projectFromPlan, type MlspecProject } from '../../constructs/project';
import type { ModelPlan, Plan } from '../../lib/plan/types';

export interface ProjectOfOptions {
  /** The project's name (spec `project`). @default 'acme' */
  readonly project?: string;
  /** Whether the model's environment is `protected` in the plan. @default false */
  readonly protected?: boolean;
}

/**
 * A hand-made model plan (fixtures.ts) as the one model of a one-environment project: the
 * environment is the model's, its `aws` block the SageMaker slice's account and region. The
 * constructs read the Vertex and Azure ML settings from the model's slices, so no gcp or azure
 * block is needed.
 */
export function projectOf(model: ModelPlan, options: ProjectOfOptions = {}): MlspecProject {
  const plan: Plan = {
    schemaVersion: 1,
    project: options.project ?? 'acme',
    environments: [{
      name: model.environment,
      protected: options.protected ?? false,
      aws: model.sagemaker ? { account: model.sagemaker.account, region: model.sagemaker.region } : undefined,
      models: [model],
    }],
  };
  return projectFromPlan(plan);
}

/** What ModelStack (and VertexModel, AzureMlModel, TrainingPipeline) take to build `model`: its project, its name and its environment. */
export function modelStackProps(model: ModelPlan, options: ProjectOfOptions = {}): { project: MlspecProject; model: string; environment: string } {
  return { project: projectOf(model, options), model: model.name, environment: model.environment };
}
