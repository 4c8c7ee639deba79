import type { Approval, LiveState, LiveStateFactory, MonitorReport } from '../../lib/promote';

/** An in-memory live state: when each version began serving per environment, approvals, registry metrics. */
export function fakeLive(state: {
  servingSince?: Record<string, Record<string, Date>>;
  approvals?: Record<string, Record<string, Approval>>;
  metrics?: Record<string, Record<string, number>>;
  /** The model's monitor per environment (promotion.cleanSoak); `since` filters its runs as a provider does. */
  monitoring?: Record<string, MonitorReport>;
  fail?: string;
  monitoringFails?: string;
}): LiveStateFactory & { approved: string[] } {
  const approved: string[] = [];
  const reader: LiveState = {
    provider: 'sagemaker',
    async servingSince(env, _model, version) {
      if (state.fail) throw new Error(state.fail);
      return state.servingSince?.[env.name]?.[version];
    },
    async approval(env, _model, version) {
      if (state.fail) throw new Error(state.fail);
      return state.approvals?.[env.name]?.[version];
    },
    async metrics(_env, _model, version) {
      if (state.fail) throw new Error(state.fail);
      return state.metrics?.[version];
    },
    async approve(env, _model, version) {
      approved.push(`${env.name}/${version}`);
    },
    async monitoring(env, _model, since) {
      if (state.monitoringFails) throw new Error(state.monitoringFails);
      const report = state.monitoring?.[env.name];
      return report && { ...report, runs: report.runs.filter((r) => !since || r.at >= since) };
    },
  };
  const factory = ((p: string) => (p === 'sagemaker' ? reader : undefined)) as LiveStateFactory & { approved: string[] };
  factory.approved = approved;
  return factory;
}

export const SPEC = `project: acme
environments:
  dev: { aws: { account: "111111111111", region: us-east-1 } }
  staging:
    aws: { account: "222222222222", region: us-east-1 }
    promotion: { from: dev, minSoak: 2h }
  prod:
    aws: { account: "333333333333", region: us-east-1 }
    protected: true
    promotion: { from: staging, minSoak: 24h, approval: required }
models:
  fraud:
    registry: { gates: { accuracy: ">= 0.95" } }
    versions:
      "7": { artifact: { sagemaker: s3://m/7/model.tar.gz }, metrics: { accuracy: 0.96 } }
      "8": { artifact: { sagemaker: s3://m/8/model.tar.gz }, metrics: { accuracy: 0.97 } }
      "9": { artifact: { sagemaker: s3://m/9/model.tar.gz }, metrics: { accuracy: 0.91 } }
    serving:
      image: { sagemaker: 1.dkr.ecr.us-east-1.amazonaws.com/x:1 }
      resources: { accelerator: T4 }
`;

export const RELEASES = `# What serves where. Reviewed by the ML platform team.
dev:
  fraud: { traffic: { "8": 100 } }   # 8 is the candidate

staging:
  # staging mirrors prod plus a canary
  fraud: { traffic: { "7": 100 } }
prod:
  fraud: { traffic: { "7": 100 } }
# end of file
`;

export const NOW = new Date('2026-11-24T12:00:00Z');
export const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000);
