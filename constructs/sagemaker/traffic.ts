import { CustomResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';

/** One production or shadow variant as CreateEndpointConfig takes it (SDK shape). */
export interface ConfigVariant {
  readonly VariantName: string;
  readonly ModelName: string;
  readonly InstanceType: string;
  readonly InitialInstanceCount: number;
  readonly InitialVariantWeight: number;
}

export interface EndpointConfigParams {
  readonly ProductionVariants: ConfigVariant[];
  readonly ShadowProductionVariants?: ConfigVariant[];
  readonly KmsKeyId?: string;
  readonly DataCaptureConfig?: Record<string, unknown>;
}

export interface TrafficProps {
  readonly endpointName: string;
  /** What the endpoint config holds, weights included (they are its initial split). */
  readonly config: EndpointConfigParams;
  /**
   * Everything that defines the config except the weights: the config's name hashes it (with the
   * config's own references), so moving traffic keeps the config and a new version makes a new one.
   */
  readonly identity: unknown;
  /** The endpoint's handler (EndpointHandler.serviceToken). */
  readonly serviceToken: string;
  /**
   * Walk a change that adds a version in steps (lib/providers/sagemaker/staged.ts): the config keeps
   * the live versions at their live weights, and a `StagedWeights` resource behind the Provider
   * framework moves the weights step by step, watching the alarms, then retires what left.
   * @default - the split is set in one write after the endpoint update
   */
  readonly staged?: StagedTrafficProps;
}

/** How a staged rollout walks: one canary step then the rest, or equal steps. */
export enum StagedStrategy {
  CANARY = 'canary',
  LINEAR = 'linear',
}

/** One step of a staged rollout. */
export interface TrafficStep {
  /** The new versions' share of the traffic after the step, in percent (the last step is 100). */
  readonly percent: number;
  /** How long to watch the rollback alarms after the step, in seconds. */
  readonly bakeSeconds: number;
}

export interface StagedTrafficProps {
  /** The staged-rollout handlers' service token (the environment's, in its handlers stack). */
  readonly serviceToken: string;
  readonly strategy: StagedStrategy;
  /** The steps: the traffic share on the new versions after each, and the bake after it. */
  readonly steps: TrafficStep[];
  /** Rollback alarm names per production variant. */
  readonly alarms: Record<string, string[]>;
}

/**
 * The endpoint config and the traffic split, kept apart so a change that only moves traffic never
 * rebuilds the fleet:
 * - `config`: the endpoint config, named `<endpoint>-<hash>` with the hash taken over everything
 *   but the weights. A weight-only change updates nothing here; a new version set makes a new
 *   config, and the endpoint moves to it. A config of that name that already exists with the same
 *   contents is adopted (a retried Create, a stack re-created beside a retained endpoint).
 * - `weights`: on a weight-only update, one UpdateEndpointWeightsAndCapacities with DesiredWeight
 *   only, so autoscaled instance counts stay as they are, and none when the endpoint already has
 *   that split. On create it writes nothing, since a new config already carries the split.
 */
export class EndpointTraffic extends Construct {
  /** The endpoint config name the endpoint points at. */
  public readonly endpointConfigName: string;
  public readonly config: CustomResource;
  public readonly weights: CustomResource;

  constructor(scope: Construct, id: string, props: TrafficProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // References (model names, key, capture bucket) count as what they point at, resolved to their
    // CloudFormation form: another key or bucket makes another config. Weights never do.
    const unweighted = {
      ...props.config,
      ProductionVariants: props.config.ProductionVariants.map((v) => ({ ...v, InitialVariantWeight: undefined })),
    };
    const hash = createHash('sha256').update(JSON.stringify(stack.resolve({ identity: props.identity, config: unweighted }))).digest('hex').slice(0, 10);
    this.endpointConfigName = `${props.endpointName.slice(0, 63 - 11)}-${hash}`;

    this.config = new CustomResource(this, `Config${hash}`, {
      serviceToken: props.serviceToken,
      resourceType: 'Custom::SageMakerEndpointConfig',
      properties: {
        Kind: 'EndpointConfig',
        EndpointConfigName: this.endpointConfigName,
        // One JSON string (references resolved by CloudFormation), so numbers stay numbers.
        Config: stack.toJsonString(props.config),
        // Staged: the new config keeps what serves now at its live weights, so the endpoint update moves no traffic.
        ...(props.staged ? { KeepLive: 'true', EndpointName: props.endpointName } : {}),
      },
    });

    const desired = props.config.ProductionVariants.map((v) => ({ VariantName: v.VariantName, DesiredWeight: v.InitialVariantWeight }));
    this.weights = props.staged
      // One resource per endpoint (a stable id): a version change reaches it as an Update, whose old properties are the baseline.
      ? new CustomResource(this, 'StagedWeights', {
        serviceToken: props.staged.serviceToken,
        resourceType: 'Custom::SageMakerStagedWeights',
        properties: {
          Kind: 'StagedWeights',
          EndpointName: props.endpointName,
          // The config the endpoint moves to: after the walk, the versions it keeps but the manifest dropped are retired from it.
          EndpointConfigName: this.endpointConfigName,
          Weights: JSON.stringify(desired),
          Rollout: JSON.stringify({ strategy: props.staged.strategy, steps: props.staged.steps.map((s) => ({ percent: s.percent, bakeSeconds: s.bakeSeconds })) }),
          Alarms: JSON.stringify(props.staged.alarms),
        },
      })
      : new CustomResource(this, `Weights${hash}`, {
        serviceToken: props.serviceToken,
        resourceType: 'Custom::SageMakerVariantWeights',
        properties: { Kind: 'VariantWeights', EndpointName: props.endpointName, Weights: JSON.stringify(desired) },
      });
  }
}
