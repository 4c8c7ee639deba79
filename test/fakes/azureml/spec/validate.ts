import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A small structural validator for Azure's published REST specification (swagger 2.0 definitions):
 * `required`, `additionalProperties: false`, `readOnly`, types, enums, `allOf`,
 * `discriminator` / `x-ms-discriminator-value`, and the value keywords `minLength`, `maxLength`,
 * `pattern` (unanchored, as JSON Schema reads it), `format: int32 / int64` ranges, `format: duration`
 * (ISO 8601), `minimum` and `maximum`. Only the definitions copied into this folder are
 * known (see README.md); an api-version without a copy has no spec here.
 */

type Schema = Record<string, any>;

const COMMON = (JSON.parse(readFileSync(path.join(__dirname, 'common-types.json'), 'utf8')) as { definitions: Record<string, Schema> }).definitions;
const specs = new Map<string, Record<string, Schema>>();

/** The copied definitions of an api-version, or undefined when none were copied. */
export function specDefinitions(apiVersion: string): Record<string, Schema> | undefined {
  if (specs.has(apiVersion)) return specs.get(apiVersion);
  let defs: Record<string, Schema> | undefined;
  try {
    defs = (JSON.parse(readFileSync(path.join(__dirname, apiVersion, 'mfe.subset.json'), 'utf8')) as { definitions: Record<string, Schema> }).definitions;
  } catch {
    defs = undefined;
  }
  specs.set(apiVersion, defs!);
  return defs;
}

/** Errors of `value` against definition `name` of `apiVersion`'s specification, each naming the path. */
export function validateAgainstSpec(apiVersion: string, name: string, value: unknown): string[] {
  const defs = specDefinitions(apiVersion);
  if (!defs) throw new Error(`no copied specification for api-version ${apiVersion}`);
  const errors: string[] = [];
  check(defs, { $ref: `#/definitions/${name}` }, value, '', errors, apiVersion);
  return errors;
}

function resolve(defs: Record<string, Schema>, ref: string): { name: string; schema: Schema } {
  const name = ref.startsWith('common:') ? ref.slice(7) : ref.replace('#/definitions/', '');
  const schema = ref.startsWith('common:') ? COMMON[name] : defs[name];
  // A definition the body reaches but that was not copied here: say so rather than accept it.
  return { name, schema: schema ?? { 'x-not-copied': true } };
}

/** Properties and required fields of a definition with its allOf parents merged in. */
function flatten(defs: Record<string, Schema>, schema: Schema): { properties: Record<string, Schema>; required: string[]; closed: boolean } {
  let properties: Record<string, Schema> = {};
  let required: string[] = [];
  for (const parent of schema.allOf ?? []) {
    const p = flatten(defs, resolve(defs, parent.$ref).schema);
    properties = { ...properties, ...p.properties };
    required = [...required, ...p.required];
  }
  return { properties: { ...properties, ...(schema.properties ?? {}) }, required: [...new Set([...required, ...(schema.required ?? [])])], closed: schema.additionalProperties === false };
}

/** The discriminator of a definition or of one of its allOf parents. */
function discriminatorOf(defs: Record<string, Schema>, name: string, schema: Schema): { base: string; property: string } | undefined {
  if (schema.discriminator) return { base: name, property: schema.discriminator };
  for (const parent of schema.allOf ?? []) {
    const r = resolve(defs, parent.$ref);
    const d = discriminatorOf(defs, r.name, r.schema);
    if (d) return d;
  }
  return undefined;
}

function check(defs: Record<string, Schema>, schema: Schema, value: unknown, at: string, errors: string[], apiVersion: string): void {
  const where = at || '(body)';
  if (value === undefined || value === null) return;
  if (schema.readOnly) {
    errors.push(`${where} is read-only`);
    return;
  }
  if (schema.$ref) {
    let { name, schema: target } = resolve(defs, schema.$ref);
    const d = discriminatorOf(defs, name, target);
    if (d && d.base === name && value && typeof value === 'object' && !Array.isArray(value)) {
      const kind = (value as Record<string, unknown>)[d.property];
      const sub = Object.entries(defs).find(([, s]) => s['x-ms-discriminator-value'] === kind && (s.allOf ?? []).some((p: Schema) => p.$ref === `#/definitions/${name}`));
      if (kind !== undefined) {
        if (!sub) {
          // A kind the specification names (in the discriminator's enum) whose definition was not copied is
          // not the caller's error: say that, rather than that the kind does not exist.
          const values = enumOf(defs, flatten(defs, target).properties[d.property]);
          if (values?.includes(kind)) errors.push(`${at ? at + '.' : ''}${d.property} '${String(kind)}': that kind of ${name} is not among the fake's copied definitions of api-version ${apiVersion} (test/fakes/azureml/spec)`);
          else errors.push(`${at ? at + '.' : ''}${d.property} '${String(kind)}' is not a kind of ${name}`);
          return;
        }
        [name, target] = sub;
      }
    }
    if (target['x-not-copied']) {
      errors.push(`${where}: definition ${name} is not among the fake's copied definitions of api-version ${apiVersion} (test/fakes/azureml/spec)`);
      return;
    }
    return checkObject(defs, name, target, value, at, errors, apiVersion);
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push(`${where} must be one of ${schema.enum.join(', ')}`);
    return;
  }
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') errors.push(`${where} must be a string`);
      else {
        // Swagger 2.0 (JSON Schema) string keywords; `pattern` is an ECMA 262 regex, not anchored.
        if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${where} must be at least ${schema.minLength} character${schema.minLength === 1 ? '' : 's'} long`);
        if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${where} must be at most ${schema.maxLength} characters long`);
        if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) errors.push(`${where} must match the pattern ${schema.pattern}`);
        // `format: duration` is an ISO 8601 duration in Azure's specifications (for example PT30M, P1DT2H).
        if (schema.format === 'duration' && !ISO_DURATION.test(value)) errors.push(`${where} must be an ISO 8601 duration (format: duration), for example PT1H30M`);
      }
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(`${where} must be an integer`);
      else if (schema.format === 'int32' && (value < -2147483648 || value > 2147483647)) errors.push(`${where} must be a 32-bit integer (int32)`);
      else if (schema.format === 'int64' && !Number.isSafeInteger(value)) errors.push(`${where} must be a 64-bit integer (int64)`);
      else checkRange(schema, value, where, errors);
      return;
    case 'number':
      if (typeof value !== 'number') errors.push(`${where} must be a number`);
      else checkRange(schema, value, where, errors);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${where} must be a boolean`);
      return;
    case 'array':
      if (!Array.isArray(value)) errors.push(`${where} must be an array`);
      else value.forEach((v, i) => check(defs, schema.items ?? {}, v, `${at}[${i}]`, errors, apiVersion));
      return;
    case 'object':
    case undefined:
      if (schema.properties || schema.allOf) return checkObject(defs, '(inline)', schema, value, at, errors, apiVersion);
      if (typeof value !== 'object' || Array.isArray(value)) {
        if (schema.type === 'object') errors.push(`${where} must be an object`);
        return;
      }
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) check(defs, schema.additionalProperties, v, `${at}.${k}`, errors, apiVersion);
      }
      return;
    default:
      return;
  }
}

const ISO_DURATION = /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/;

/** The enum of a property schema, through its $ref. */
function enumOf(defs: Record<string, Schema>, schema: Schema | undefined): unknown[] | undefined {
  if (!schema) return undefined;
  if (schema.enum) return schema.enum;
  return schema.$ref ? resolve(defs, schema.$ref).schema.enum : undefined;
}

function checkRange(schema: Schema, value: number, where: string, errors: string[]): void {
  if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) errors.push(`${where} must be ${schema.exclusiveMinimum ? 'greater than' : 'at least'} ${schema.minimum}`);
  if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) errors.push(`${where} must be ${schema.exclusiveMaximum ? 'less than' : 'at most'} ${schema.maximum}`);
}

function checkObject(defs: Record<string, Schema>, name: string, schema: Schema, value: unknown, at: string, errors: string[], apiVersion: string): void {
  const where = at || '(body)';
  if (schema.enum || (schema.type && schema.type !== 'object')) return check(defs, { ...schema, $ref: undefined }, value, at, errors, apiVersion);
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${where} must be an object`);
    return;
  }
  const { properties, required, closed } = flatten(defs, schema);
  const obj = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    const prop = properties[k];
    if (!prop) {
      if (closed) errors.push(`${at ? at + '.' : ''}${k} is not a property of ${name}`);
      continue;
    }
    check(defs, prop, v, at ? `${at}.${k}` : k, errors, apiVersion);
  }
  for (const k of required) if (obj[k] === undefined || obj[k] === null) errors.push(`${at ? at + '.' : ''}${k} is required`);
}
