import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/aiplatform';
import { googleAuthLibrary } from 'google-gax';
import { FakeVertex } from './server';

/**
 * The fake's UploadModel holds Model.container_spec to what the published API states
 * (google/cloud/aiplatform/v1/model.proto and env_var.proto): these prove each refusal fires, that a
 * valid spec passes, and that what was sent comes back on GetModel and ListModelVersions.
 */
describe('the fake Vertex holds containerSpec to the published ModelContainerSpec rules', () => {
  const parent = 'projects/p/locations/us-central1';
  let fake: FakeVertex;
  let models: InstanceType<typeof v1.ModelServiceClient>;

  beforeEach(async () => {
    fake = new FakeVertex();
    const port = await fake.start();
    models = new v1.ModelServiceClient({ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure(), authClient: new googleAuthLibrary.PassThroughClient() } as never);
  });
  afterEach(async () => {
    await models.close();
    await fake.stop();
  });

  const valid = {
    imageUri: 'us-docker.pkg.dev/p/serving/ranker:1',
    command: ['python', '-m', 'server'],
    args: ['--port=8080'],
    env: [
      { name: 'HF_MODEL_ID', value: '/models/ranker' },
      { name: '_WORKERS2', value: '$(HF_MODEL_ID)/2' },
    ],
    ports: [{ containerPort: 8080 }],
    predictRoute: '/predict',
    healthRoute: '/health',
  };

  async function upload(containerSpec: Record<string, unknown>) {
    const [op] = await models.uploadModel({ parent, model: { displayName: 'ranker', artifactUri: 'gs://b/m', containerSpec, versionAliases: ['v1'] } });
    const [response] = await op.promise();
    return response as { model: string; modelVersionId: string };
  }

  it('stores a valid containerSpec and returns it, env, ports, routes, command and args included, on GetModel and ListModelVersions', async () => {
    const { model, modelVersionId } = await upload(valid);
    expect(modelVersionId).toBe('1');
    const [got] = await models.getModel({ name: `${model}@v1` });
    expect(got.containerSpec).toEqual(expect.objectContaining(valid));
    const [versions] = await models.listModelVersions({ name: model }, { autoPaginate: false });
    expect(versions.map((v) => v.containerSpec)).toEqual([expect.objectContaining(valid)]);
    expect(fake.models.get(model)![0].containerSpec.env).toEqual(valid.env);
  });

  it('refuses a containerSpec without imageUri (REQUIRED)', async () => {
    await expect(upload({ ...valid, imageUri: '' })).rejects.toThrow('3 INVALID_ARGUMENT: List of found errors:\t1.Field: model.container_spec.image_uri; Message: Required field is not set.\t');
    expect(fake.models.size).toBe(0);
  });

  it('refuses env names that are not C identifiers, and env entries without a name or a value (REQUIRED)', async () => {
    await expect(upload({ ...valid, env: [{ name: '2FAST', value: 'x' }, { name: 'MODEL-DIR', value: 'x' }, { name: 'A B', value: 'x' }] })).rejects.toThrow(
      'List of found errors:\t1.Field: model.container_spec.env[0].name; Message: Environment variable name "2FAST" must be a valid C identifier.\t2.Field: model.container_spec.env[1].name; Message: Environment variable name "MODEL-DIR" must be a valid C identifier.\t3.Field: model.container_spec.env[2].name; Message: Environment variable name "A B" must be a valid C identifier.\t',
    );
    await expect(upload({ ...valid, env: [{ value: 'x' }, { name: 'EMPTY', value: '' }] })).rejects.toThrow(
      'List of found errors:\t1.Field: model.container_spec.env[0].name; Message: Required field is not set.\t2.Field: model.container_spec.env[1].value; Message: Required field is not set.\t',
    );
  });

  it('refuses ports outside 1-65535, in ports and grpcPorts', async () => {
    await expect(upload({ ...valid, ports: [{ containerPort: 70000 }] })).rejects.toThrow(
      'List of found errors:\t1.Field: model.container_spec.ports[0].container_port; Message: Port 70000 is invalid: must be a valid port number, between 1 and 65535 inclusive.\t',
    );
    await expect(upload({ ...valid, ports: [{}], grpcPorts: [{ containerPort: -1 }] })).rejects.toThrow(
      'List of found errors:\t1.Field: model.container_spec.ports[0].container_port; Message: Port 0 is invalid: must be a valid port number, between 1 and 65535 inclusive.\t2.Field: model.container_spec.grpc_ports[0].container_port; Message: Port -1 is invalid: must be a valid port number, between 1 and 65535 inclusive.\t',
    );
  });

  it('refuses a probe port outside 1-65535', async () => {
    await expect(upload({ ...valid, healthProbe: { httpGet: { path: '/health', port: 65536 } } })).rejects.toThrow(
      'List of found errors:\t1.Field: model.container_spec.health_probe.http_get.port; Message: Port 65536 is invalid: must be in the range 1 to 65535.\t',
    );
  });

  it('refuses an invokeRoutePrefix other than "/*", and one beside predictRoute', async () => {
    await expect(upload({ ...valid, invokeRoutePrefix: '/invoke' })).rejects.toThrow(
      'List of found errors:\t1.Field: model.container_spec.invoke_route_prefix; Message: Invoke route prefix "/invoke" is not supported; "/*" is the only supported value.\t2.Field: model.container_spec.predict_route; Message: Only one of predict_route or invoke_route_prefix can be set.\t',
    );
    const { predictRoute: _, ...withoutPredict } = valid;
    await expect(upload({ ...withoutPredict, invokeRoutePrefix: '/*' })).resolves.toEqual(expect.objectContaining({ modelVersionId: '1' }));
  });

  it('refuses a deployment timeout over 2 hours', async () => {
    await expect(upload({ ...valid, deploymentTimeout: { seconds: 7201 } })).rejects.toThrow(
      'List of found errors:\t1.Field: model.container_spec.deployment_timeout; Message: Deployment timeout 7201s exceeds the limit of 2 hours.\t',
    );
    await expect(upload({ ...valid, deploymentTimeout: { seconds: 7200 } })).resolves.toEqual(expect.objectContaining({ modelVersionId: '1' }));
  });

  it('refuses to change an uploaded version’s containerSpec (IMMUTABLE)', async () => {
    const { model } = await upload(valid);
    await expect(models.updateModel({ model: { name: `${model}@1`, containerSpec: { ...valid, imageUri: 'other:2' } }, updateMask: { paths: ['container_spec.image_uri'] } })).rejects.toThrow(
      'List of found errors:\t1.Field: update_mask.paths; Message: Field container_spec.image_uri is immutable.\t',
    );
    const [labelled] = await models.updateModel({ model: { name: `${model}@1`, labels: { team: 'search' } }, updateMask: { paths: ['labels'] } });
    expect([labelled.labels, labelled.containerSpec?.imageUri]).toEqual([{ team: 'search' }, valid.imageUri]);
  });
});
