import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ACCOUNT, REGION } from './fixtures';

/** A fresh stack in the fixtures' account and region. */
export function newStack(id = 'Test'): Stack {
  return new Stack(new App(), id, { env: { account: ACCOUNT, region: REGION } });
}

/** Findings of both packs that no acknowledgement covers, as `rule @ construct path`. */
export function nagFindings(scope: IConstruct): string[] {
  const findings: string[] = [];
  for (const pack of [new AwsSolutionsChecks(), new NIST80053R5Checks()]) {
    for (const v of pack.validateScope(scope).violations) {
      for (const r of v.violatingResources) findings.push(`${v.ruleName} @ ${r.constructPath}`);
    }
  }
  return findings;
}

/** Every IAM policy statement in the template: roles' inline policies, policies, managed policies. */
export function policyStatements(template: Template): Array<Record<string, unknown>> {
  const statements: Array<Record<string, unknown>> = [];
  const add = (doc: { Statement?: Array<Record<string, unknown>> } | undefined) => statements.push(...(doc?.Statement ?? []));
  for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const p of (r.Properties?.Policies ?? []) as Array<{ PolicyDocument: never }>) add(p.PolicyDocument);
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const r of Object.values(template.findResources(type))) add(r.Properties?.PolicyDocument);
  }
  return statements;
}

export function asArray<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

/** The single resource of `type` in the template (fails when there are more or none). */
export function only(template: Template, type: string): { Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] } {
  const all = Object.values(template.findResources(type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as never;
}

/**
 * The endpoint config as CreateEndpointConfig receives it, decoded from its custom resource
 * (`Custom::SageMakerEndpointConfig`), with CloudFormation references put back where they were:
 * the same shape tests read from an `AWS::SageMaker::EndpointConfig`.
 */
export function endpointConfig(template: Template): { Properties: Record<string, any>; logicalId: string } {
  const all = Object.entries(template.findResources('Custom::SageMakerEndpointConfig'));
  if (all.length !== 1) throw new Error(`expected one Custom::SageMakerEndpointConfig, found ${all.length}`);
  const [logicalId, resource] = all[0];
  return { logicalId, Properties: { EndpointConfigName: resource.Properties.EndpointConfigName, ...(decodeJson(resource.Properties.Config) as Record<string, any>) } };
}

/**
 * A JSON property our custom resources take (`Stack.toJsonString`), parsed, with CloudFormation
 * references put back where they were.
 */
export function decodeJson(value: string | { 'Fn::Join': [string, unknown[]] }): unknown {
  const tokens: unknown[] = [];
  const text = typeof value === 'string' ? value : value['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : `@@${tokens.push(p) - 1}@@`)).join('');
  const restore = (v: unknown): unknown => {
    if (typeof v === 'string' && v.includes('@@')) {
      const parts = v.split(/@@(\d+)@@/).map((s, i) => (i % 2 === 1 ? tokens[Number(s)] : s)).filter((s) => s !== '');
      return parts.length === 1 ? parts[0] : { 'Fn::Join': ['', parts] };
    }
    if (Array.isArray(v)) return v.map(restore);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x)]));
    return v;
  };
  return restore(JSON.parse(text));
}

/** The registry's group and versions as the handler receives them, with their resources' logical ids and policies. */
export function registry(template: Template): {
  group: { id: string; spec: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string } | undefined;
  versions: Array<{ id: string; spec: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
} {
  const groups = Object.entries(template.findResources('Custom::SageMakerModelPackageGroup'));
  if (groups.length > 1) throw new Error(`expected at most one Custom::SageMakerModelPackageGroup, found ${groups.length}`);
  const entry = (id: string, r: any, prop: string) => ({ id, spec: decodeJson(r.Properties[prop]) as Record<string, any>, DependsOn: r.DependsOn, DeletionPolicy: r.DeletionPolicy, UpdateReplacePolicy: r.UpdateReplacePolicy });
  return {
    group: groups[0] ? entry(groups[0][0], groups[0][1], 'Group') : undefined,
    versions: Object.entries(template.findResources('Custom::SageMakerModelVersion')).map(([id, r]) => entry(id, r, 'Version')),
  };
}

/** The variant scaling custom resources (`before` and `after` the endpoint update) and the variants they declare. */
export function variantScaling(template: Template): { before: { id: string; DependsOn?: string[] }; after: { id: string; DependsOn?: string[] }; variants: Array<Record<string, any>>; retain: string } {
  const all = Object.entries(template.findResources('Custom::SageMakerVariantScaling')) as Array<[string, { Properties: Record<string, any>; DependsOn?: string[] }]>;
  const phase = (p: string) => {
    const found = all.filter(([, r]) => r.Properties.Phase === p);
    if (found.length !== 1) throw new Error(`expected one Custom::SageMakerVariantScaling with Phase ${p}, found ${found.length}`);
    return { id: found[0][0], DependsOn: found[0][1].DependsOn, props: found[0][1].Properties };
  };
  const before = phase('before');
  const after = phase('after');
  expect(before.props.Variants).toBe(after.props.Variants);
  return { before, after, variants: JSON.parse(after.props.Variants), retain: after.props.Retain };
}
