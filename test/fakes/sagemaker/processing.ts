import * as sdk from '@aws-sdk/client-sagemaker';

/**
 * Request checks of the fake's processing-job and monitoring operations (CreateProcessingJob,
 * ListMonitoringExecutions), as SageMaker's own validation answers them: members the pinned
 * client's Smithy schema (`<Shape>$`) does not know, required members it marks, enumerations of
 * the client, and the documented limits below (each from its page of the SageMaker API reference,
 * named in `doc`). Messages take the service's form: "1 validation error detected: Value '...' at
 * 'member' failed to satisfy constraint: Member must ...".
 *
 * The schema form (as test/fakes/sagemaker/pipelines.ts reads it): a structure is [3, namespace, name,
 * traits, memberNames, memberSchemas, requiredCount], the first requiredCount members required; a
 * list [1, ns, name, traits, member]; a map [2, ns, name, traits, key, value]; a number 0 is a string,
 * 1 a number, 2 a boolean, 4-7 a timestamp, 64|x a list of x, 128|x a map of x; a function returns a
 * schema.
 */

interface Limit {
  length?: [number, number];
  itemLength?: [number, number];
  keyLength?: [number, number];
  keyPattern?: RegExp;
  valueLength?: [number, number];
  range?: [number, number];
  pattern?: RegExp;
  doc: string;
}

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const S3_URI = /^(https|s3):\/\/([^/]+)\/?(.*)$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const KMS = /^[a-zA-Z0-9:/_-]*$/;

/** Documented limits by `<structure>.<member>`. */
const LIMITS: Record<string, Limit> = {
  // [api:CreateProcessingJob]
  'CreateProcessingJobRequest.ProcessingJobName': { length: [1, 63], pattern: NAME, doc: 'CreateProcessingJob' },
  'CreateProcessingJobRequest.ProcessingInputs': { length: [0, 10], doc: 'CreateProcessingJob' },
  'CreateProcessingJobRequest.Environment': { length: [0, 100], keyLength: [0, 256], keyPattern: /^[a-zA-Z_][a-zA-Z0-9_]*$/, valueLength: [0, 256], doc: 'CreateProcessingJob' },
  'CreateProcessingJobRequest.RoleArn': { length: [20, 2048], pattern: ROLE_ARN, doc: 'CreateProcessingJob' },
  'CreateProcessingJobRequest.Tags': { length: [0, 50], doc: 'CreateProcessingJob' },
  // [api:ProcessingOutputConfig]
  'ProcessingOutputConfig.Outputs': { length: [0, 10], doc: 'ProcessingOutputConfig' },
  'ProcessingOutputConfig.KmsKeyId': { length: [0, 2048], pattern: KMS, doc: 'ProcessingOutputConfig' },
  // [api:AppSpecification]
  'AppSpecification.ImageUri': { length: [0, 255], doc: 'AppSpecification' },
  'AppSpecification.ContainerEntrypoint': { length: [1, 100], itemLength: [0, 256], doc: 'AppSpecification' },
  'AppSpecification.ContainerArguments': { length: [1, 256], itemLength: [0, 256], doc: 'AppSpecification' },
  // [api:ProcessingClusterConfig]
  'ProcessingClusterConfig.InstanceCount': { range: [1, 100], doc: 'ProcessingClusterConfig' },
  'ProcessingClusterConfig.VolumeSizeInGB': { range: [1, 16384], doc: 'ProcessingClusterConfig' },
  'ProcessingClusterConfig.VolumeKmsKeyId': { length: [0, 2048], pattern: KMS, doc: 'ProcessingClusterConfig' },
  // [api:ProcessingStoppingCondition]
  'ProcessingStoppingCondition.MaxRuntimeInSeconds': { range: [1, 777600], doc: 'ProcessingStoppingCondition' },
  // [api:ProcessingS3Input], [api:ProcessingS3Output]
  'ProcessingS3Input.S3Uri': { length: [0, 1024], pattern: S3_URI, doc: 'ProcessingS3Input' },
  'ProcessingS3Input.LocalPath': { length: [0, 256], doc: 'ProcessingS3Input' },
  'ProcessingS3Output.S3Uri': { length: [0, 1024], pattern: S3_URI, doc: 'ProcessingS3Output' },
  'ProcessingS3Output.LocalPath': { length: [0, 256], doc: 'ProcessingS3Output' },
  // [api:ListMonitoringExecutions]
  'ListMonitoringExecutionsRequest.MaxResults': { range: [1, 100], doc: 'ListMonitoringExecutions' },
  'ListMonitoringExecutionsRequest.MonitoringScheduleName': { length: [1, 63], pattern: NAME, doc: 'ListMonitoringExecutions' },
  'ListMonitoringExecutionsRequest.NextToken': { length: [0, 8192], doc: 'ListMonitoringExecutions' },
};

const e = (shape: string) => Object.values((sdk as unknown as Record<string, Record<string, string>>)[shape]);
const ENUMS: Record<string, string[]> = {
  'ProcessingClusterConfig.InstanceType': e('ProcessingInstanceType'),
  'ProcessingS3Input.S3DataType': e('ProcessingS3DataType'),
  'ProcessingS3Input.S3InputMode': e('ProcessingS3InputMode'),
  'ProcessingS3Input.S3DataDistributionType': e('ProcessingS3DataDistributionType'),
  'ProcessingS3Input.S3CompressionType': e('ProcessingS3CompressionType'),
  'ProcessingS3Output.S3UploadMode': e('ProcessingS3UploadMode'),
  'ListMonitoringExecutionsRequest.SortBy': e('MonitoringExecutionSortKey'),
  'ListMonitoringExecutionsRequest.SortOrder': e('SortOrder'),
  'ListMonitoringExecutionsRequest.StatusEquals': e('ExecutionStatus'),
  'ListMonitoringExecutionsRequest.MonitoringTypeEquals': e('MonitoringType'),
};

/** A request that breaks a rule: SageMaker's ValidationException. */
export class RequestRefused extends Error {}

const refuse = (value: unknown, at: string, rule: string) =>
  new RequestRefused(`1 validation error detected: Value '${typeof value === 'object' ? JSON.stringify(value) : String(value)}' at '${at}' failed to satisfy constraint: Member must ${rule}`);

/** The member path as the service writes it: lower camel case, 1-based list items. */
const member = (path: string, name: string | number) => (typeof name === 'number' ? `${path}.${name + 1}.member` : `${path ? `${path}.` : ''}${name[0].toLowerCase()}${name.slice(1)}`);

type Schema = unknown;
function resolve(s: Schema): any {
  return typeof s === 'function' ? resolve((s as () => Schema)()) : s;
}

function check(value: unknown, schema: Schema, path: string, key: string): void {
  const s = resolve(schema);
  if (typeof s === 'number' || (Array.isArray(s) && typeof s[1] !== 'string')) {
    const base = typeof s === 'number' ? s : s[0];
    if (Array.isArray(s) && typeof s[0] !== 'number') return check(value, s[0], path, key);
    if (base >= 128) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse(value, path, 'be a map');
      limits(key, value, path);
      return;
    }
    if (base >= 64) {
      if (!Array.isArray(value)) throw refuse(value, path, 'be a list');
      limits(key, value, path);
      return;
    }
    if (base === 0 && typeof value !== 'string') throw refuse(value, path, 'be a string');
    if (base === 1 && typeof value !== 'number') throw refuse(value, path, 'be a number');
    if (base === 2 && typeof value !== 'boolean') throw refuse(value, path, 'be a boolean');
    limits(key, value, path);
    return;
  }
  switch (s[0]) {
    case 0:
      return check(value, s[4], path, key);
    case 1: {
      if (!Array.isArray(value)) throw refuse(value, path, 'be a list');
      limits(key, value, path);
      value.forEach((item, i) => check(item, s[4], member(path, i), ''));
      return;
    }
    case 2: {
      if (typeof value !== 'object' || value === null) throw refuse(value, path, 'be a map');
      limits(key, value, path);
      for (const [k, v] of Object.entries(value)) check(v, s[5], `${path}.${k}`, '');
      return;
    }
    case 3:
    case 4: {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse(value, path, 'be a structure');
      const names: string[] = s[4];
      const required: number = s[6] ?? 0;
      for (const k of Object.keys(value)) if (!names.includes(k)) throw new RequestRefused(`1 validation error detected: Unknown member '${k}' at '${path || s[2]}' (${s[2]} has ${names.join(', ')})`);
      names.slice(0, required).forEach((n) => {
        if ((value as Record<string, unknown>)[n] === undefined) throw new RequestRefused(`1 validation error detected: Value null at '${member(path, n)}' failed to satisfy constraint: Member must not be null`);
      });
      names.forEach((n, i) => {
        const v = (value as Record<string, unknown>)[n];
        if (v === undefined) return;
        check(v, s[5][i], member(path, n), `${s[2]}.${n}`);
      });
    }
  }
}

function limits(key: string, v: unknown, at: string): void {
  const allowed = ENUMS[key];
  if (allowed && typeof v === 'string' && !allowed.includes(v)) throw refuse(v, at, `satisfy enum value set: [${allowed.join(', ')}]`);
  const l = LIMITS[key];
  if (!l) return;
  const len = (n: number, [min, max]: [number, number], what: unknown, where: string) => {
    if (n > max) throw refuse(what, where, `have length less than or equal to ${max}`);
    if (n < min) throw refuse(what, where, `have length greater than or equal to ${min}`);
  };
  if (typeof v === 'string') {
    if (l.length) len([...v].length, l.length, v, at);
    if (l.pattern && !l.pattern.test(v)) throw refuse(v, at, `satisfy regular expression pattern: ${l.pattern.source}`);
  } else if (typeof v === 'number' && l.range) {
    if (v > l.range[1]) throw refuse(v, at, `have value less than or equal to ${l.range[1]}`);
    if (v < l.range[0]) throw refuse(v, at, `have value greater than or equal to ${l.range[0]}`);
  } else if (Array.isArray(v)) {
    if (l.length) len(v.length, l.length, v, at);
    if (l.itemLength) v.forEach((item, i) => typeof item === 'string' && len([...item].length, l.itemLength!, item, member(at, i)));
  } else if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    if (l.length) len(entries.length, l.length, v, at);
    for (const [k, item] of entries) {
      if (l.keyLength) len([...k].length, l.keyLength, k, `${at}.${k}`);
      if (l.keyPattern && !l.keyPattern.test(k)) throw refuse(k, `${at}.${k}`, `satisfy regular expression pattern: ${l.keyPattern.source}`);
      if (l.valueLength && typeof item === 'string') len([...item].length, l.valueLength, item, `${at}.${k}`);
    }
  }
}

/** Checks a request of `operation` against its shape, or throws RequestRefused with SageMaker's wording. */
export function checkRequest(operation: 'CreateProcessingJob' | 'ListMonitoringExecutions', input: unknown): void {
  const schema = (sdk as unknown as Record<string, Schema>)[`${operation}Request$`];
  if (!schema) throw new Error(`the pinned client has no ${operation}Request schema`);
  check(input, schema, '', '');
}
