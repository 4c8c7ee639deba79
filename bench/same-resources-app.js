// A second baseline: the templates mlspec synthesized (BENCH_TEMPLATES, a cdk.out), declared again
// as plain CfnResource constructs in stacks of the same names. What it costs over this is mlspec's
// own layer (spec, plan, constructs); what both cost over the empty app is CloudFormation content.
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { App, CfnResource, Stack } = require('aws-cdk-lib');

const dir = process.env.BENCH_TEMPLATES;
const app = new App();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const stack = new Stack(app, file.replace(/\.template\.json$/, ''), { env: { account: '111111111111', region: 'us-east-1' } });
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type === 'AWS::CDK::Metadata') continue;
    const resource = new CfnResource(stack, id, { type: r.Type, properties: r.Properties });
    resource.overrideLogicalId(id);
  }
}
