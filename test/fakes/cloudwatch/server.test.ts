import { DescribeAlarmsCommand, InternalServiceFault, InvalidNextToken } from '@aws-sdk/client-cloudwatch';
import * as http from 'node:http';
import { FakeCloudWatch } from './server';

/** The fake against the real client: AWS JSON 1.0, query-compatible errors, pages, scripted states. */
describe('the fake CloudWatch speaks what @aws-sdk/client-cloudwatch 3.1142 speaks', () => {
  let cw: FakeCloudWatch;
  let now = Date.UTC(2026, 10, 24, 12);
  beforeEach(async () => {
    cw = new FakeCloudWatch();
    cw.now = () => now;
    await cw.start();
  });
  afterEach(() => cw.stop());

  it('the client sends AWS JSON 1.0 in query mode; states follow the script over the clock', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(req.headers);
      req.pipe(http.request(cw.url, { method: req.method, headers: req.headers }, (up) => { res.writeHead(up.statusCode!, up.headers); up.pipe(res); }));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const client = new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient({ endpoint: `http://127.0.0.1:${(proxy.address() as import('node:net').AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    cw.alarm('e-ErrorRatev8', { variant: 'v8' });
    cw.script('e-ErrorRatev8', [{ at: now + 60_000, state: 'OK' }, { at: now + 120_000, state: 'ALARM', reason: 'Threshold Crossed' }]);
    const states: string[] = [];
    for (const t of [0, 60_000, 120_000]) {
      cw.now = () => now + t;
      const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: ['e-ErrorRatev8'] }));
      states.push(`${out.MetricAlarms![0].StateValue}:${out.MetricAlarms![0].StateUpdatedTimestamp!.toISOString()}`);
    }
    expect(states).toEqual(['INSUFFICIENT_DATA:2026-11-24T12:00:00.000Z', 'OK:2026-11-24T12:01:00.000Z', 'ALARM:2026-11-24T12:02:00.000Z']);
    expect(seen[0]).toEqual(expect.objectContaining({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms', 'x-amzn-query-mode': 'true' }));
    client.destroy();
    await new Promise((r) => proxy.close(r));
  });

  it('errors carry their awsQuery code, so the client names them as it did under awsQuery', async () => {
    const client = cw.client({ maxAttempts: 1 });
    cw.faults.set('DescribeAlarms', { error: 'AccessDenied', message: 'not authorized to perform: cloudwatch:DescribeAlarms' });
    await expect(client.send(new DescribeAlarmsCommand({}))).rejects.toEqual(expect.objectContaining({ name: 'AccessDenied', message: 'not authorized to perform: cloudwatch:DescribeAlarms', $metadata: expect.objectContaining({ httpStatusCode: 403 }) }));
    cw.faults.set('DescribeAlarms', { error: 'InternalServiceFault', message: 'boom' });
    await expect(client.send(new DescribeAlarmsCommand({}))).rejects.toBeInstanceOf(InternalServiceFault);
    cw.faults.clear();
    await expect(client.send(new DescribeAlarmsCommand({ NextToken: 'bm9wZQ==' }))).rejects.toBeInstanceOf(InvalidNextToken);
    client.destroy();
  });

  it('answers metric alarms only unless AlarmTypes says otherwise, in pages of MaxRecords', async () => {
    const client = cw.client();
    for (const n of ['a', 'b', 'c']) cw.alarm(n, { state: 'OK' });
    cw.alarm('composite', { type: 'CompositeAlarm', state: 'OK' });
    expect((await client.send(new DescribeAlarmsCommand({ AlarmNames: ['a', 'composite'] }))).MetricAlarms!.map((a) => a.AlarmName)).toEqual(['a']);
    const first = await client.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 3 }));
    const second = await client.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 3, NextToken: first.NextToken }));
    expect([...first.MetricAlarms!, ...first.CompositeAlarms!, ...second.MetricAlarms!, ...second.CompositeAlarms!].map((a) => a.AlarmName).sort()).toEqual(['a', 'b', 'c', 'composite']);
    expect(second.NextToken).toBeUndefined();
    client.destroy();
  });
});
