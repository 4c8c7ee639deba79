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
