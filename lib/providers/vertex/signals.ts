import type { v3 } from '@google-cloud/monitoring';
import type { ClientOptions } from 'google-gax';
import type { RolloutSignals, SignalSource } from '../../rollout/staged';

/**
 * Rollback signals of deployed models from Cloud Monitoring (the official MetricService client):
 * Vertex exports `prediction/online/prediction_count`, `error_count` and `prediction_latencies`
 * on the `aiplatform.googleapis.com/Endpoint` resource, labelled by `deployed_model_id`.
 */
export const VERTEX_METRICS = {
  predictions: 'aiplatform.googleapis.com/prediction/online/prediction_count',
  errors: 'aiplatform.googleapis.com/prediction/online/error_count',
  latencies: 'aiplatform.googleapis.com/prediction/online/prediction_latencies',
} as const;

/** The MetricService client on Google's endpoint; tests pass the fake's address. */
export function metricClient(options: ClientOptions = {}): v3.MetricServiceClient {
  // Required directly: the package index loads every Monitoring API.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MetricServiceClient } = require('@google-cloud/monitoring/build/src/v3/metric_service_client') as typeof v3;
  return new MetricServiceClient(options);
}

export class VertexSignals implements SignalSource {
  constructor(
    private readonly client: v3.MetricServiceClient,
    private readonly project: string,
    /** The endpoint's resource name (`projects/P/locations/L/endpoints/ID`). */
    private readonly endpointName: string,
  ) {}

  async read(deployedModelIds: string[], since: Date, until: Date): Promise<RolloutSignals> {
    const [predictions, errors, latencies] = await Promise.all([
      this.series(VERTEX_METRICS.predictions, since, until, 'ALIGN_SUM', 'REDUCE_SUM'),
      this.series(VERTEX_METRICS.errors, since, until, 'ALIGN_SUM', 'REDUCE_SUM'),
      this.series(VERTEX_METRICS.latencies, since, until, 'ALIGN_PERCENTILE_99', 'REDUCE_MAX'),
    ]);
    const ours = (s: Series) => deployedModelIds.includes(String(s.metric?.labels?.deployed_model_id ?? ''));
    const total = (list: Series[]) => list.filter(ours).flatMap((s) => s.points ?? []).reduce((n, p) => n + Number(p.value?.int64Value ?? p.value?.doubleValue ?? 0), 0);
    const p99 = latencies.filter(ours).flatMap((s) => s.points ?? []).map((p) => Number(p.value?.doubleValue ?? p.value?.int64Value ?? 0));
    return { requests: total(predictions), errors: total(errors), p99LatencyMs: p99.length ? Math.max(...p99) : undefined };
  }

  /** One value per deployed model over the whole window (one alignment period spans it). */
  private async series(metric: string, since: Date, until: Date, aligner: string, reducer: string): Promise<Series[]> {
    const endpointId = this.endpointName.split('/').pop();
    const seconds = Math.max(60, Math.ceil((until.getTime() - since.getTime()) / 1000));
    const [series] = await this.client.listTimeSeries(
      {
        name: `projects/${this.project}`,
        filter: `metric.type="${metric}" AND resource.type="aiplatform.googleapis.com/Endpoint" AND resource.labels.endpoint_id="${endpointId}"`,
        interval: { startTime: timestamp(since), endTime: timestamp(until) },
        aggregation: { alignmentPeriod: { seconds }, perSeriesAligner: aligner as never, crossSeriesReducer: reducer as never, groupByFields: ['metric.label."deployed_model_id"'] },
        view: 'FULL',
      },
      { autoPaginate: true },
    );
    return series as Series[];
  }
}

type Series = { metric?: { labels?: Record<string, string> | null } | null; points?: { value?: { int64Value?: unknown; doubleValue?: number | null } | null }[] | null };

function timestamp(d: Date): { seconds: number; nanos: number } {
  return { seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1e6 };
}
