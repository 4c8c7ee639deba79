import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements that live inside the constructs that need them, so a stack reusing a
 * construct is clean too. Internal: not exported from the package index.
 */

/** Acknowledge one cdk-nag rule (or one finding `Rule[Finding]`) on `scope` and everything under it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledge `AwsSolutions-IAM5` for a wildcard resource of an IAM policy. cdk-nag reports one
 * finding per resource string, written the way its `flattenCfnReference` writes a resolved
 * CloudFormation value (`<Ref>`, `<LogicalId.Attr>`, joins flattened), so we resolve the same way.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}

function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const o = node as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (o['Fn::Sub']) return flattenCfnReference(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return flattenCfnReference(o['Fn::ImportValue']);
  if (o.Ref) return `<${flattenCfnReference(o.Ref)}>`;
  return JSON.stringify(node);
}
