import { RemovalPolicy } from 'aws-cdk-lib';
import { formatSpecError, formatWarnings, loadProject, SpecError } from '../lib/spec';
import { resolvePlan } from '../lib/plan';
import type { EnvironmentPlan, ModelPlan, Plan } from '../lib/plan/types';
import { suggestion } from '../lib/util/suggest';

/** Where a project's spec lives, and which of its environments to build. */
export interface ProjectFiles {
  /** The spec: `mlspec.yaml`, or a TypeScript module exporting `spec` (`defineSpec`). */
  readonly specPath: string;
  /**
   * The releases (`releases.yaml`).
   * @default none: no version is released anywhere
   */
  readonly releasesPath?: string;
  /**
   * Build only these environments (by name, as in the spec).
   * @default every environment of the spec
   */
  readonly environments?: string[];
}

/**
 * A project read from its spec and releases, validated and resolved into the plan every construct
 * builds from. The constructs take a project and a model and environment name, so the same spec
 * that `mlspec plan` shows is what `cdk deploy` creates, in TypeScript and in Python alike.
 *
 * An invalid spec throws with every problem listed (file, line, field, what is wrong and what would
 * be right), as `mlspec validate` prints them.
 */
export class MlspecProject {
  /** Reads and validates the spec (and releases), and resolves the plan. */
  public static fromFiles(files: ProjectFiles): MlspecProject {
    let loaded;
    try {
      // An app names the spec's path in ProjectFiles.specPath, not with the CLI's --spec.
      loaded = loadProject({ specPath: files.specPath, releasesPath: files.releasesPath, specPathHint: 'give its path as specPath' });
    } catch (e) {
      // The message is what `mlspec validate` prints: every problem with its position, no stack trace needed.
      if (e instanceof SpecError) throw new Error(formatSpecError(e).trimEnd());
      throw e;
    }
    const unknown = (files.environments ?? []).filter((e) => !(e in loaded.spec.environments));
    if (unknown.length > 0) {
      throw new Error(`environments: ${unknown.map((e) => `"${e}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in ${files.specPath}; it has ${Object.keys(loaded.spec.environments).join(', ')}`);
    }
    return new MlspecProject(resolvePlan(loaded, { environments: files.environments }), formatWarnings(loaded.warnings ?? []), Object.keys(loaded.spec.environments));
  }

  /** @internal */
  public static _fromPlan(plan: Plan): MlspecProject {
    return new MlspecProject(plan, '', plan.environments.map((e) => e.name));
  }

  /** The project's name (spec `project`), the prefix of every resource name. */
  public readonly name: string;
  /** The environments built, in spec order. */
  public readonly environmentNames: string[];
  /** What validation warned about (such as a pinned SKU in a region mlspec's table does not list), one line each; '' when nothing. */
  public readonly warnings: string;

  /** @internal */
  public readonly _plan: Plan;

  /** Every environment of the spec, built or not. */
  private readonly specEnvironments: string[];

  private constructor(plan: Plan, warnings: string, specEnvironments: string[]) {
    this.specEnvironments = specEnvironments;
    this._plan = plan;
    this.name = plan.project;
    this.environmentNames = plan.environments.map((e) => e.name);
    this.warnings = warnings;
  }

  /** The models of an environment (every model of the spec, released there or not). */
  public modelNames(environment: string): string[] {
    return this._environment(environment).models.map((m) => m.name);
  }

  /** @internal */
  public _environment(name: string): EnvironmentPlan {
    const env = this._plan.environments.find((e) => e.name === name);
    if (!env) {
      const names = this.environmentNames;
      if (this.specEnvironments.includes(name)) {
        throw new Error(`environment "${name}" of project ${this.name} was not built: the project was read with environments ${names.join(', ')} (ProjectFiles.environments)`);
      }
      throw new Error(`environment "${name}" is not in project ${this.name}${names.length > 0 ? suggestion(name, names) : '; no environment was built'}`);
    }
    return env;
  }

  /** @internal */
  public _model(environment: string, model: string): ModelPlan {
    const env = this._environment(environment);
    const found = env.models.find((m) => m.name === model);
    if (!found) {
      const names = env.models.map((m) => m.name);
      throw new Error(`model "${model}" is not in project ${this.name}${suggestion(model, names)}`);
    }
    return found;
  }
}

/**
 * Whether a resource is kept when its stack is deleted: the removal policy given, or the
 * environment's `protected` (spec) when none is.
 */
export function keepsOnDelete(removalPolicy: RemovalPolicy | undefined, environmentProtected: boolean): boolean {
  if (removalPolicy === undefined) return environmentProtected;
  if (removalPolicy === RemovalPolicy.SNAPSHOT) {
    throw new Error('removalPolicy: SNAPSHOT is not something SageMaker endpoints, Vertex AI or Azure ML endpoints can do on delete; use RemovalPolicy.RETAIN (keep them) or RemovalPolicy.DESTROY');
  }
  return removalPolicy !== RemovalPolicy.DESTROY;
}

/** A project from a plan built in TypeScript (`resolvePlan` of a `defineSpec` spec): for TypeScript apps and tests. */
export function projectFromPlan(plan: Plan): MlspecProject {
  return MlspecProject._fromPlan(plan);
}
