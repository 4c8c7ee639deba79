import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/**
 * The state of CloudWatch alarms by name (`DescribeAlarms`), for the rollback verdict of a staged
 * rollout on SageMaker (staged.ts). The alarms are the ones `ModelEndpoint` makes from `rollback`
 * (one ErrorRate and one P99Latency alarm per production variant); any metric or composite alarm
 * works.
 */

export interface AlarmState {
  readonly name: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  readonly state: string;
  /** CloudWatch's StateReason: why the alarm is in that state, in words. */
  readonly reason?: string;
  readonly updatedAt?: Date;
}

/** DescribeAlarms takes at most 100 names per call, and answers at most 100 alarms per page. */
const NAMES_PER_CALL = 100;

/**
 * The state of every named alarm. Throws when CloudWatch cannot be read or an alarm does not exist
 * (deleted, another region or account, a wrong name): an alarm nobody can read watches nothing, and
 * the caller must not take its silence for OK.
 */
export async function describeAlarmStates(cw: CloudWatchClient, names: string[]): Promise<AlarmState[]> {
  const wanted = [...new Set(names)];
  const found = new Map<string, AlarmState>();
  for (let i = 0; i < wanted.length; i += NAMES_PER_CALL) {
    const chunk = wanted.slice(i, i + NAMES_PER_CALL);
    let token: string | undefined;
    do {
      // Without AlarmTypes CloudWatch answers metric alarms only, even for a composite alarm's name.
      const page = await cw.send(new DescribeAlarmsCommand({ AlarmNames: chunk, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: NAMES_PER_CALL, NextToken: token }));
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (a.AlarmName) found.set(a.AlarmName, { name: a.AlarmName, state: String(a.StateValue ?? 'INSUFFICIENT_DATA'), reason: a.StateReason, updatedAt: a.StateUpdatedTimestamp });
      }
      token = page.NextToken;
    } while (token);
  }
  const missing = wanted.filter((n) => !found.has(n));
  if (missing.length > 0) {
    throw new Error(`CloudWatch has no alarm ${missing.join(', ')} (deleted, or in another region or account)`);
  }
  return wanted.map((n) => found.get(n)!);
}
