import { Duration } from 'aws-cdk-lib';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';

/** Time SageMaker gets to provision the new (green) fleet before the first traffic shift. */
const PROVISIONING_ALLOWANCE_SECONDS = 3600;
/**
 * Ceiling for MaximumExecutionTimeoutInSeconds. The API documents 28800 s today; 14400 s was the
 * limit for years and is accepted everywhere, so a rollout that needs more is refused here.
 */
export const MAX_ROLLOUT_SECONDS = 14400;
/** WaitIntervalInSeconds and TerminationWaitInSeconds are each at most one hour. */
const MAX_WAIT_SECONDS = 3600;

export interface CanaryOptions {
  /** Share of the new fleet's capacity that gets traffic first: 1-50 (SageMaker's CanarySize limit). */
  readonly percent: number;
  /** How long the rollback alarms watch the canary before the rest shifts: up to 1 hour. */
  readonly bake: Duration;
  /**
   * How long the old fleet is kept (and alarms watched) after all traffic moved: up to 1 hour.
   * @default - the same as `bake`
   */
  readonly finalBake?: Duration;
}

export interface LinearOptions {
  /** Share of the new fleet's capacity added per step: 10-50 (SageMaker's LinearStepSize limits). */
  readonly percent: number;
  /** Wait between steps while the rollback alarms watch: up to 1 hour. */
  readonly interval: Duration;
  /**
   * How long the old fleet is kept (and alarms watched) after the last step: up to 1 hour.
   * @default - the same as `interval`
   */
  readonly finalBake?: Duration;
}

export interface AllAtOnceOptions {
  /**
   * How long the rollback alarms watch the new fleet after the switch before the old fleet goes.
   * @default Duration.seconds(0)
   */
  readonly bake?: Duration;
}

/**
 * How an endpoint update shifts traffic from the old fleet to the new one (SageMaker blue/green
 * deployment guardrails).
 *
 * SageMaker applies it to endpoint updates whose new endpoint config keeps the variant names of the
 * old one; see ModelEndpointProps.rollout.
 */
/** SageMaker's traffic routing types of a blue/green update. */
export enum TrafficRoutingType {
  ALL_AT_ONCE = 'ALL_AT_ONCE',
  CANARY = 'CANARY',
  LINEAR = 'LINEAR',
}

export class Rollout {
  /** Shift all traffic at once, then bake. */
  public static allAtOnce(options: AllAtOnceOptions = {}): Rollout {
    const bake = seconds('Rollout.allAtOnce', 'bake', options.bake ?? Duration.seconds(0));
    return new Rollout(TrafficRoutingType.ALL_AT_ONCE, undefined, bake, 0, 1);
  }

  /** Shift `percent` of capacity, bake, then shift the rest. */
  public static canary(options: CanaryOptions): Rollout {
    const percent = checkPercent('Rollout.canary', options.percent, 1, 50, "SageMaker's CanarySize is at most 50% of the new fleet");
    const bake = seconds('Rollout.canary', 'bake', options.bake);
    const finalBake = seconds('Rollout.canary', 'finalBake', options.finalBake ?? options.bake);
    return new Rollout(TrafficRoutingType.CANARY, percent, bake, finalBake, 1);
  }

  /** Shift `percent` of capacity per step, waiting `interval` between steps. */
  public static linear(options: LinearOptions): Rollout {
    const percent = checkPercent('Rollout.linear', options.percent, 10, 50, "SageMaker's LinearStepSize is 10-50% of the new fleet");
    const interval = seconds('Rollout.linear', 'interval', options.interval);
    const finalBake = seconds('Rollout.linear', 'finalBake', options.finalBake ?? options.interval);
    return new Rollout(TrafficRoutingType.LINEAR, percent, interval, finalBake, Math.ceil(100 / percent));
  }

  /**
   * Upper bound of a whole deployment: provisioning allowance + every bake + the final bake.
   * Rendered as MaximumExecutionTimeoutInSeconds.
   */
  public readonly maximumExecutionSeconds: number;

  private constructor(
    /** `ALL_AT_ONCE`, `CANARY` or `LINEAR`. */
    public readonly routingType: TrafficRoutingType,
    /** Canary size or linear step, percent of the new fleet's capacity (none for all at once). */
    public readonly percent: number | undefined,
    /** WaitIntervalInSeconds. */
    public readonly waitSeconds: number,
    /** TerminationWaitInSeconds. */
    public readonly terminationWaitSeconds: number,
    /** How many waits of `waitSeconds` a deployment goes through. */
    public readonly waits: number,
  ) {
    const total = PROVISIONING_ALLOWANCE_SECONDS + waits * waitSeconds + terminationWaitSeconds;
    if (total > MAX_ROLLOUT_SECONDS) {
      throw new Error(
        `Rollout.${routingType === TrafficRoutingType.LINEAR ? 'linear' : routingType === TrafficRoutingType.CANARY ? 'canary' : 'allAtOnce'}: ${waits} wait(s) of ${waitSeconds}s + final bake ${terminationWaitSeconds}s + ` +
          `${PROVISIONING_ALLOWANCE_SECONDS}s to provision need ${total}s; a deployment may take at most ${MAX_ROLLOUT_SECONDS}s (use a shorter wait or a larger step)`,
      );
    }
    this.maximumExecutionSeconds = Math.max(600, total);
  }

  /** @internal */
  public _renderBlueGreen(): sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty {
    const size = this.percent === undefined ? undefined : { type: 'CAPACITY_PERCENT', value: this.percent };
    return {
      trafficRoutingConfiguration: {
        type: this.routingType,
        waitIntervalInSeconds: this.waitSeconds,
        canarySize: this.routingType === TrafficRoutingType.CANARY ? size : undefined,
        linearStepSize: this.routingType === TrafficRoutingType.LINEAR ? size : undefined,
      },
      terminationWaitInSeconds: this.terminationWaitSeconds,
      maximumExecutionTimeoutInSeconds: this.maximumExecutionSeconds,
    };
  }
}

function checkPercent(where: string, value: number, min: number, max: number, why: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${where}: percent must be an integer from ${min} to ${max} (${why}); got ${value}`);
  }
  return value;
}

function seconds(where: string, prop: string, d: Duration): number {
  const s = d.toSeconds({ integral: false });
  if (!Number.isInteger(s) || s < 0 || s > MAX_WAIT_SECONDS) {
    throw new Error(`${where}: ${prop} must be whole seconds from 0 to ${MAX_WAIT_SECONDS} (1 hour); got ${d.toHumanString()}`);
  }
  return s;
}
