import { Duration } from 'aws-cdk-lib';

export interface EndpointAutoscalingOptions {
  /**
   * Wait after a scale-in before the next one.
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * Wait after a scale-out before the next one.
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

/** What Application Auto Scaling tracks to size each production variant between its min and max. */
export class EndpointAutoscaling {
  /** Keep invocations per instance per minute near `target` (SageMakerVariantInvocationsPerInstance). */
  public static invocationsPerInstance(target: number, options: EndpointAutoscalingOptions = {}): EndpointAutoscaling {
    if (!(target > 0) || !Number.isFinite(target)) {
      throw new Error(`EndpointAutoscaling.invocationsPerInstance: target must be a positive number of invocations per instance per minute; got ${target}`);
    }
    return new EndpointAutoscaling('invocations', target, options);
  }

  /**
   * Keep GPU utilisation near `percent` per accelerator. SageMaker reports GPUUtilization summed over
   * the GPUs of an instance (4 GPUs: 0-400 %), so each variant tracks `percent` × its accelerator count.
   */
  public static gpuUtilization(percent: number, options: EndpointAutoscalingOptions = {}): EndpointAutoscaling {
    if (!(percent > 0 && percent <= 100)) {
      throw new Error(`EndpointAutoscaling.gpuUtilization: percent must be above 0 and at most 100; got ${percent}`);
    }
    return new EndpointAutoscaling('gpu', percent, options);
  }

  public readonly scaleInCooldown: Duration;
  public readonly scaleOutCooldown: Duration;

  private constructor(
    /** `invocations` or `gpu`. */
    public readonly metric: 'invocations' | 'gpu',
    /** Invocations per instance per minute, or GPU percent per accelerator. */
    public readonly target: number,
    options: EndpointAutoscalingOptions,
  ) {
    this.scaleInCooldown = options.scaleInCooldown ?? Duration.minutes(5);
    this.scaleOutCooldown = options.scaleOutCooldown ?? Duration.minutes(1);
  }
}
