import { baseSpec, errorsOf, mutate, withAzure, withVertex, yamlErrorsOf } from '../helpers';
import { preset } from '../../lib/serving';

/** serving.server, serving.container, serving.env and training.env: every message of lib/spec/containers.ts. */
describe('serving containers in the spec', () => {
  const withServing = (edit: (serving: any) => void) => mutate(baseSpec(), (s) => edit(s.models.fraud.serving));

  it('accepts a preset, shared and per-provider variables, and references', () => {
    const spec = withServing((sv) => {
      sv.server = 'tgi';
      sv.image.sagemaker = '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4-tgi2.3-gpu-py311-cu124-ubuntu22.04';
      sv.env = { MAX_INPUT_TOKENS: 2048, TRUST_REMOTE_CODE: false, sagemaker: { SM_LOG_LEVEL: 'info', MODEL_PATH: '${model_dir}/weights' } };
      sv.container = { vertex: { port: 8000 } };
    });
    expect(errorsOf(spec)).toEqual([]);
  });

  describe('env', () => {
    it('names variables as every provider accepts them', () => {
      const spec = withServing((sv) => (sv.env = { '1ST': 'x', 'HF-TOKEN': 'y' }));
      expect(errorsOf(spec)).toEqual([
        'models.fraud.serving.env.1ST: "1ST" is not an environment variable name; use letters, digits and _, not starting with a digit (such as HF_MODEL_ID)',
        'models.fraud.serving.env.HF-TOKEN: "HF-TOKEN" is not an environment variable name; use letters, digits and _, not starting with a digit (such as HF_MODEL_ID)',
      ]);
    });
    it("leaves mlspec's own MLSPEC_ names alone", () => {
      const spec = withServing((sv) => (sv.env = { MLSPEC_COMMAND: 'x' }));
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.env.MLSPEC_COMMAND: "MLSPEC_COMMAND": names that start with MLSPEC_ are mlspec\'s own; choose another name']);
    });
    it('knows three references and suggests the nearest', () => {
      const spec = withServing((sv) => (sv.env = { HF_MODEL_ID: '${model_path}', N: '${gpu}' }));
      expect(errorsOf(spec)).toEqual([
        'models.fraud.serving.env.HF_MODEL_ID: ${model_path} is not a reference mlspec resolves; use ${model_dir}, ${gpus} or ${model_name} (did you mean ${model_name}?)',
        'models.fraud.serving.env.N: ${gpu} is not a reference mlspec resolves; use ${model_dir}, ${gpus} or ${model_name} (did you mean ${gpus}?)',
      ]);
    });
    it('takes maps only under a provider', () => {
      const spec = withServing((sv) => (sv.env = { sagemker: { A: '1' }, vertex: 'x' }));
      expect(errorsOf(spec)).toEqual([
        'models.fraud.serving.env.sagemker: "sagemker" holds a map, but only sagemaker, vertex and azureml take one (did you mean "sagemaker"?); a variable\'s value is text, a number or true/false',
        'models.fraud.serving.env.vertex: vertex takes a map of variables for vertex only, such as vertex: { LOG_LEVEL: debug }; a variable for every provider goes beside it',
      ]);
    });
    it('keeps each value within SageMaker\'s 1024 bytes', () => {
      const spec = withServing((sv) => (sv.env = { BIG: 'x'.repeat(1025) }));
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.env.BIG: the value is 1025 bytes; SageMaker takes at most 1024 per variable: move large settings into the image or the model\'s files']);
    });
    it('gives a container at most 100 variables', () => {
      const spec = withServing((sv) => (sv.env = Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`V${i}`, 'x'])) as any));
      const more = mutate(spec, (s) => (s.models.fraud.serving.env.azureml = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`A${i}`, 'x']))));
      expect(errorsOf(spec)).toEqual([]);
      expect(errorsOf(more)).toEqual(['models.fraud.serving.env: azureml gets 101 variables; at most 100 reach a container: move settings into the image or a file']);
    });
    it('checks training.env the same way', () => {
      const spec = mutate(baseSpec(), (s) => (s.models.fraud.training = { ...trainingBlock(), env: { 'BAD NAME': '1', DATA: '${data_dir}' } }));
      expect(errorsOf(spec)).toEqual([
        'models.fraud.training.env."BAD NAME": "BAD NAME" is not an environment variable name; use letters, digits and _, not starting with a digit (such as HF_MODEL_ID)',
        'models.fraud.training.env.DATA: ${data_dir} is not a reference mlspec resolves; use ${model_dir}, ${gpus} or ${model_name}',
      ]);
    });
  });

  it('refuses an empty value, which Vertex refuses', () => {
    const spec = withServing((sv) => (sv.env = { EMPTY: '' }));
    expect(errorsOf(spec)).toEqual(['models.fraud.serving.env.EMPTY: the value is empty, which Vertex AI refuses; give a value or remove the variable']);
  });

  it('keeps ${model_dir} out of Vertex variables, where Vertex does not expand it', () => {
    const spec = mutate(withVertex(baseSpec()), (s) => (s.models.fraud.serving.env = { HF_MODEL_ID: '${model_dir}', vertex: { WEIGHTS: '${model_dir}/w' }, sagemaker: { OK: '${model_dir}' } }));
    const why = 'on Vertex AI the model is not on disk: ${model_dir} is $(AIP_STORAGE_URI), a gs:// URI that Vertex expands in container arguments only, not in variables; put this variable under env.sagemaker and env.azureml, and serve on Vertex with an image that reads AIP_STORAGE_URI itself (the server presets say which, docs/SERVERS.md)';
    expect(errorsOf(spec)).toEqual([`models.fraud.serving.env.HF_MODEL_ID: ${why}`, `models.fraud.serving.env.vertex.WEIGHTS: ${why}`]);
  });

  it('gives Azure ML routes with a name after the /', () => {
    const spec = mutate(withAzure(baseSpec()), (s) => (s.models.fraud.serving.container = { azureml: { port: 8000, health: '/', predict: '/' } }));
    expect(errorsOf(spec)).toEqual([
      'models.fraud.serving.container.azureml.health: Azure ML refuses the health route /: a route needs a letter, digit or _ after the /, such as /health; set container.azureml.health',
      'models.fraud.serving.container.azureml.predict: Azure ML refuses the predict route /: a route needs a letter, digit or _ after the /, such as /health; set container.azureml.predict',
    ]);
  });

  describe('container', () => {
    it('takes routes that start with / and ports up to 65535', () => {
      const spec = withServing((sv) => (sv.container = { vertex: { port: 70000, health: 'health' } }));
      expect(errorsOf(spec)).toEqual([
        'models.fraud.serving.container.vertex.health: "health" is not a route; write a path that starts with /, such as /health',
        'models.fraud.serving.container.vertex.port: 70000 is too large; use at most 65535',
      ]);
    });

    it("refuses a port SageMaker never calls, and names SageMaker's variant of the server", () => {
      const spec = withServing((sv) => {
        sv.server = 'vllm';
        sv.container = { port: 8000 };
      });
      expect(errorsOf(spec)).toEqual([
        `models.fraud.serving.container.port: SageMaker only calls GET /ping and POST /invocations on port 8080, so port 8000 would never be reached; serve with SageMaker's variant of vLLM (${preset('vllm', 'sagemaker').variant}), which speaks it, and move port under container.vertex or container.azureml`,
      ]);
    });

    it('refuses routes set for SageMaker alone', () => {
      const spec = withServing((sv) => (sv.container = { sagemaker: { predict: '/generate' } }));
      expect(errorsOf(spec)).toEqual([
        "models.fraud.serving.container.sagemaker.predict: SageMaker only calls GET /ping and POST /invocations on port 8080, so predict route /generate would never be reached; serve with an image that speaks it and remove it",
      ]);
    });

    it('lets other providers listen where they like when SageMaker is not used', () => {
      const spec = mutate(baseSpec(), (s) => {
        for (const env of Object.values<any>(s.environments)) {
          delete env.aws;
          env.gcp = { project: 'acme-ml-dev', region: 'us-central1' };
        }
        s.models.fraud.serving.image = { vertex: 'us-docker.pkg.dev/acme/serve/fraud:1' };
        for (const v of Object.values<any>(s.models.fraud.versions)) v.artifact = { vertex: 'gs://acme-models/fraud/' };
        s.models.fraud.serving.container = { port: 8000, health: '/health', predict: '/generate' };
      });
      expect(errorsOf(spec)).toEqual([]);
    });

    it("refuses a stock server image on SageMaker and names SageMaker's variant", () => {
      const spec = withServing((sv) => (sv.image.sagemaker = 'ghcr.io/huggingface/text-generation-inference:3.0'));
      expect(errorsOf(spec)).toEqual([
        `models.fraud.serving.image.sagemaker: ghcr.io/huggingface/text-generation-inference:3.0 is the stock Hugging Face Text Generation Inference image, which does not answer SageMaker's GET /ping and POST /invocations on port 8080; use SageMaker's variant: ${preset('tgi', 'sagemaker').variant}, with server: tgi`,
      ]);
    });

    it('names the unknown preset and lists the known ones', () => {
      const spec = withServing((sv) => (sv.server = 'ollama'));
      expect(errorsOf(spec)).toEqual(['models.fraud.serving.server: "ollama" is not allowed; expected one of sagemaker, tgi, vllm, torchserve, tfserving, triton']);
    });
  });

  it('reports YAML errors at the line of the field', () => {
    const yaml = `project: acme
environments:
  dev: { aws: { account: "111111111111", region: us-east-1 } }
models:
  fraud:
    versions:
      "8": { artifact: { sagemaker: s3://acme-models/fraud/8/model.tar.gz } }
    serving:
      image: { sagemaker: vllm/vllm-openai:v0.6.3 }
      server: vllm
      resources: { accelerator: T4, count: 1 }
      env:
        "MAX LEN": 4096
`;
    expect(yamlErrorsOf(yaml, 'dev:\n  fraud: { traffic: { "8": 100 } }\n')).toEqual([
      expect.stringMatching(/^mlspec\.yaml:9:\d+ +models\.fraud\.serving\.image\.sagemaker: vllm\/vllm-openai:v0\.6\.3 is the stock vLLM image/),
      'mlspec.yaml:13:9  models.fraud.serving.env."MAX LEN": "MAX LEN" is not an environment variable name; use letters, digits and _, not starting with a digit (such as HF_MODEL_ID)',
    ]);
  });
});

function trainingBlock() {
  return {
    image: { sagemaker: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu' },
    output: { sagemaker: 's3://acme-models/fraud/' },
    resources: { accelerator: 'T4', count: 1 },
    metrics: { accuracy: 'acc=([0-9.]+)' },
  };
}
