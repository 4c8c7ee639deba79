import type { TokenCredential } from '@azure/core-auth';
import { MetricsQueryClient, type TimeSeriesElement } from '@azure/monitor-query';

type MetricsQueryClientOptions = ConstructorParameters<typeof MetricsQueryClient>[1];
import type { RolloutSignals, SignalSource } from '../../rollout/staged';

/**
 * Rollback signals of online deployments from Azure Monitor (the official MetricsQueryClient):
 * the endpoint's `RequestsPerMinute` split by `deployment` and `statusCodeClass` (5xx are errors)
 * and `RequestLatency_P99` split by `deployment`, in milliseconds.
 */
export const AZURE_METRICS = { requests: 'RequestsPerMinute', p99: 'RequestLatency_P99' } as const;

export function metricsClient(credential: TokenCredential, options: MetricsQueryClientOptions = {}): MetricsQueryClient {
  return new MetricsQueryClient(credential, options);
}

export class AzureMlSignals implements SignalSource {
  constructor(
    private readonly client: MetricsQueryClient,
    /** ARM id of the online endpoint. */
    private readonly endpointId: string,
  ) {}

  async read(deployments: string[], since: Date, until: Date): Promise<RolloutSignals> {
    const timespan = { startTime: since, endTime: until };
    const [requests, latency] = await Promise.all([
      this.client.queryResource(this.endpointId, [AZURE_METRICS.requests], { timespan, aggregations: ['Total'], filter: "deployment eq '*' and statusCodeClass eq '*'" }),
      this.client.queryResource(this.endpointId, [AZURE_METRICS.p99], { timespan, aggregations: ['Maximum'], filter: "deployment eq '*'" }),
    ]);
    const ours = (s: TimeSeriesElement) => deployments.includes(dimension(s, 'deployment') ?? '');
    let total = 0;
    let errors = 0;
    for (const s of requests.metrics[0]?.timeseries ?? []) {
      if (!ours(s)) continue;
      const n = (s.data ?? []).reduce((sum, p) => sum + (p.total ?? 0), 0);
      total += n;
      if (dimension(s, 'statusCodeClass') === '5xx') errors += n;
    }
    const p99 = (latency.metrics[0]?.timeseries ?? []).filter(ours).flatMap((s) => s.data ?? []).map((p) => p.maximum).filter((v): v is number => typeof v === 'number');
    return { requests: total, errors, p99LatencyMs: p99.length ? Math.max(...p99) : undefined };
  }
}

function dimension(series: TimeSeriesElement, name: string): string | undefined {
  return series.metadataValues?.find((m) => m.name?.toLowerCase() === name.toLowerCase())?.value;
}
