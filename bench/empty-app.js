// The baseline: a CDK app with the same number of stacks, each holding one trivial resource.
const { App, CfnWaitConditionHandle, Stack } = require('aws-cdk-lib');

const app = new App();
const stacks = Number(process.env.BENCH_STACKS ?? '1');
for (let i = 0; i < stacks; i++) {
  const stack = new Stack(app, `empty-${i}`, { env: { account: '111111111111', region: 'us-east-1' } });
  new CfnWaitConditionHandle(stack, 'Nothing');
}
