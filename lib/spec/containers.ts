import type { Provider } from '../catalog/types';
import { REFERENCES, SAGEMAKER_CONTRACT, envFor, preset, routesFor, serverTitle, stockServerOf, unknownReferences, type ContainerRoutes, type ServerName } from '../serving';
import { closest } from '../util/suggest';
import type { SemanticIssue } from './semantics';

/**
 * The rules of `serving.container`, `serving.env`, `serving.server` and `training.env` that one
 * field alone cannot check: variable names and references, per-provider maps, and SageMaker's
 * fixed container contract.
 */

const PROVIDER_KEYS: readonly Provider[] = ['sagemaker', 'vertex', 'azureml'];
const SHOWN_REFERENCES = '${model_dir}, ${gpus} or ${model_name}';

// A C identifier: Vertex's EnvVar.name ("must be a valid C identifier") and SageMaker's
// ContainerDefinition.Environment key pattern [a-zA-Z_][a-zA-Z0-9_]* agree on it.
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// SageMaker ContainerDefinition.Environment: each key and value at most 1024 bytes, at most 100 entries.
const MAX_VALUE_BYTES = 1024;
const MAX_VARIABLES = 100;

type Env = Record<string, string | Record<string, string>>;

/** Names, values and references of an `env` map (serving or training). */
export function checkEnv(env: Env | undefined, path: PropertyKey[], out: SemanticIssue[]): void {
  if (!env) return;
  const variable = (name: string, value: string, at: PropertyKey[]) => {
    if (!VARIABLE_NAME.test(name)) {
      out.push({ file: 'spec', path: at, atKey: true, message: `"${name}" is not an environment variable name; use letters, digits and _, not starting with a digit (such as HF_MODEL_ID)` });
    } else if (/^MLSPEC_/i.test(name)) {
      // mlspec's launcher passes the command and its multi-node script in MLSPEC_* variables.
      out.push({ file: 'spec', path: at, atKey: true, message: `"${name}": names that start with MLSPEC_ are mlspec's own; choose another name` });
    }
    if (value === '') {
      // Vertex's EnvVar.value is REQUIRED (google/cloud/aiplatform/v1/env_var.proto): an empty one is refused.
      out.push({ file: 'spec', path: at, message: 'the value is empty, which Vertex AI refuses; give a value or remove the variable' });
    }
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
      out.push({ file: 'spec', path: at, message: `the value is ${Buffer.byteLength(value)} bytes; SageMaker takes at most ${MAX_VALUE_BYTES} per variable: move large settings into the image or the model's files` });
    }
    for (const ref of unknownReferences(value)) {
      const near = closest(ref, REFERENCES);
      out.push({ file: 'spec', path: at, message: `\${${ref}} is not a reference mlspec resolves; use ${SHOWN_REFERENCES}${near ? ` (did you mean \${${near}}?)` : ''}` });
    }
  };
  for (const [key, value] of Object.entries(env)) {
    const at = [...path, key];
    if ((PROVIDER_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'object') {
        out.push({ file: 'spec', path: at, message: `${key} takes a map of variables for ${key} only, such as ${key}: { LOG_LEVEL: debug }; a variable for every provider goes beside it` });
        continue;
      }
      for (const [name, v] of Object.entries(value)) variable(name, v, [...at, name]);
    } else if (typeof value === 'object') {
      const near = closest(key, PROVIDER_KEYS);
      out.push({ file: 'spec', path: at, atKey: true, message: `"${key}" holds a map, but only sagemaker, vertex and azureml take one${near ? ` (did you mean "${near}"?)` : ''}; a variable's value is text, a number or true/false` });
    } else {
      variable(key, value, at);
    }
  }
  for (const p of PROVIDER_KEYS) {
    const count = Object.keys(envFor(env, p)).length;
    if (count > MAX_VARIABLES) out.push({ file: 'spec', path, atKey: true, message: `${p} gets ${count} variables; at most ${MAX_VARIABLES} reach a container: move settings into the image or a file` });
  }
}

/** SageMaker calls only GET /ping and POST /invocations on 8080; the serving fields must leave it that. */
export function checkServingContainer(
  serving: { image: Partial<Record<Provider, string>>; server?: ServerName; container?: Parameters<typeof routesFor>[0]; env?: Env },
  base: PropertyKey[],
  providers: Set<Provider>,
  out: SemanticIssue[],
): void {
  checkEnv(serving.env, [...base, 'env'], out);
  const server = serving.server ?? 'sagemaker';
  if (providers.has('vertex')) {
    // Vertex expands $(AIP_STORAGE_URI) in args only; its docs promise no expansion of its own variables in env.
    for (const [key, value] of Object.entries(serving.env ?? {})) {
      const entries = key === 'vertex' && typeof value === 'object' ? Object.entries(value).map(([n, v]) => [[key, n], v] as const) : typeof value === 'string' ? [[[key], value] as const] : [];
      for (const [at, v] of entries) {
        if (!v.includes('${model_dir}')) continue;
        out.push({
          file: 'spec',
          path: [...base, 'env', ...at],
          message: 'on Vertex AI the model is not on disk: ${model_dir} is $(AIP_STORAGE_URI), a gs:// URI that Vertex expands in container arguments only, not in variables; put this variable under env.sagemaker and env.azureml, and serve on Vertex with an image that reads AIP_STORAGE_URI itself (the server presets say which, docs/SERVERS.md)',
        });
      }
    }
  }
  if (providers.has('azureml')) {
    // Azure's Route.path has pattern [a-zA-Z0-9_] (mfe.json, 2024-04-01): a route of only "/" is refused.
    const azure = { ...preset(server, 'azureml').container, ...routesFor(serving.container, 'azureml') };
    for (const k of ['health', 'predict'] as const) {
      if (/[a-zA-Z0-9_]/.test(azure[k])) continue;
      const where = serving.container?.azureml?.[k] !== undefined ? ['container', 'azureml', k] : serving.container?.[k] !== undefined ? ['container', k] : ['server'];
      out.push({ file: 'spec', path: [...base, ...where], message: `Azure ML refuses the ${k} route ${azure[k]}: a route needs a letter, digit or _ after the /, such as /health; set container.azureml.${k}` });
    }
  }
  if (!providers.has('sagemaker')) return;

  const variant = preset(server, 'sagemaker').variant;
  const useVariant = variant ? `serve with SageMaker's variant of ${serverTitle(server)} (${variant}), which speaks it,` : 'serve with an image that speaks it';
  const own = routesFor(serving.container, 'sagemaker');
  for (const k of ['port', 'health', 'predict'] as const) {
    if (own[k] === undefined || own[k] === SAGEMAKER_CONTRACT[k]) continue;
    const where = serving.container?.sagemaker?.[k] !== undefined ? ['container', 'sagemaker', k] : ['container', k];
    const others = where.length === 2 ? ` and move ${k} under container.vertex or container.azureml` : ' and remove it';
    out.push({
      file: 'spec',
      path: [...base, ...where],
      message: `SageMaker only calls ${contract()}, so ${describe(k, own[k]!)} would never be reached; ${useVariant}${others}`,
    });
  }

  const image = serving.image.sagemaker;
  const stock = image === undefined ? undefined : stockServerOf(image);
  if (image !== undefined && stock !== undefined) {
    const stockVariant = preset(stock, 'sagemaker').variant;
    out.push({
      file: 'spec',
      path: [...base, 'image', 'sagemaker'],
      message: `${image} is the stock ${serverTitle(stock)} image, which does not answer SageMaker's ${contract()}; use SageMaker's variant${stockVariant ? `: ${stockVariant}` : ' of that server'}${server !== stock ? `, with server: ${stock}` : ''}`,
    });
  }
}

function contract(): string {
  return `GET ${SAGEMAKER_CONTRACT.health} and POST ${SAGEMAKER_CONTRACT.predict} on port ${SAGEMAKER_CONTRACT.port}`;
}

function describe(k: keyof ContainerRoutes, v: string | number): string {
  return k === 'port' ? `port ${v}` : `${k} route ${v}`;
}
