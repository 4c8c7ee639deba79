import { PROVIDERS } from '../../lib/catalog/types';
import { namedCalls, ProviderError, providers } from '../../lib/providers';

const target = { model: 'fraud-detector', environment: 'staging' };

describe('the provider contract', () => {
  it('has a module for every provider, named as the spec names it', () => {
    expect(Object.keys(providers).sort()).toEqual([...PROVIDERS].sort());
    for (const p of PROVIDERS) expect(providers[p].name).toBe(p);
  });

  it('says where a capability is not there yet, instead of leaving it out', () => {
    expect(providers.sagemaker.serving.deleteEndpoint).toBe('cloudformation');
    expect(providers.vertex.training.runner).toBeUndefined();
    expect(providers.azureml.training.runner).toBeUndefined();
    expect(typeof providers.sagemaker.training.runner).toBe('function');
  });
});

describe('namedCalls: the one retry wrapper', () => {
  const busy = Object.assign(new Error('busy'), { code: 14 });

  it('retries what the policy calls retryable, with backoff, then answers', async () => {
    const fn = jest.fn().mockRejectedValueOnce(busy).mockRejectedValueOnce(busy).mockResolvedValue('ok');
    const call = namedCalls('vertex', target, { retries: 2, backoffMs: 1, retryable: (e) => (e as { code?: number }).code === 14 });
    await expect(call('list models', fn)).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('names a failure in the user’s terms once the retries are spent, in the cloud’s own words', async () => {
    const call = namedCalls('vertex', target, { retries: 1, backoffMs: 1, retryable: () => true });
    await expect(call('list models', () => Promise.reject(busy))).rejects.toThrow(new ProviderError('vertex: fraud-detector in staging: list models failed: busy'));
    const azure = namedCalls('azureml', target, { message: (e) => `Conflict: ${(e as Error).message}` });
    await expect(azure('create the endpoint', () => Promise.reject(new Error('in use')))).rejects.toThrow('azureml: fraud-detector in staging: create the endpoint failed: Conflict: in use');
  });

  it('retries nothing by default, and passes a ProviderError through unchanged', async () => {
    const fn = jest.fn().mockRejectedValue(ProviderError.about('azureml', target, 'rolled back v8'));
    await expect(namedCalls('azureml', target, { retryable: () => true })('read the endpoint', fn)).rejects.toThrow(/^azureml: fraud-detector in staging: rolled back v8$/);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
