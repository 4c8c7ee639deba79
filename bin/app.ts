import { App, Validations } from 'aws-cdk-lib';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { addModelStacks } from '../constructs/app';
import { resolvePlan } from '../lib/plan';
import { formatSpecError, formatWarnings, loadProject, SpecError } from '../lib/spec';

/**
 * The CDK app: one stack per model per environment, from a spec.
 *   npx cdk synth                                   # the bundled example
 *   npx cdk synth -c spec=mlspec.yaml -c releases=releases.yaml
 *   npx cdk synth -c env=prod                       # one environment only
 *   npx cdk synth -c nag=true                       # also run cdk-nag AwsSolutions + NIST 800-53 R5
 */
const app = new App();
const specPath = path.resolve(String(app.node.tryGetContext('spec') ?? 'examples/mlspec.yaml'));
const releasesContext = app.node.tryGetContext('releases');
const releasesPath = releasesContext ? path.resolve(String(releasesContext)) : path.join(path.dirname(specPath), 'releases.yaml');
const envContext = app.node.tryGetContext('env');

let project;
try {
  project = loadProject({ specPath, releasesPath: existsSync(releasesPath) || releasesContext ? releasesPath : undefined });
} catch (e) {
  if (!(e instanceof SpecError)) throw e;
  // Bad input is reported like `mlspec validate` does, not as a stack trace from synth.
  process.stderr.write(formatSpecError(e));
  process.exit(1);
}
// Warnings (such as a pinned SKU in a region mlspec's table does not list) are printed and do not stop synth.
if (project.warnings?.length) process.stderr.write(formatWarnings(project.warnings));

const environments = envContext ? String(envContext).split(',') : undefined;
const unknown = environments?.filter((e) => !(e in project.spec.environments)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`-c env: environment ${unknown.map((e) => `"${e}"`).join(', ')} is not in ${path.relative(process.cwd(), specPath)}; it has ${Object.keys(project.spec.environments).join(', ')}\n`);
  process.exit(2);
}

addModelStacks(app, resolvePlan(project, { environments }));

if (String(app.node.tryGetContext('nag')) === 'true') {
  // Loaded only when asked: cdk-nag's rule packs cost synth time on every run otherwise.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AwsSolutionsChecks, NIST80053R5Checks } = require('cdk-nag') as typeof import('cdk-nag');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
}
