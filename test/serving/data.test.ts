import data from '../../lib/serving/data/servers.json';
import { SAGEMAKER_CONTRACT, SERVERS, preset, unknownReferences } from '../../lib/serving';

/** The presets' data (lib/serving/data/servers.json) keeps the rules the spec holds users to. */
describe('server presets data', () => {
  const providers = ['sagemaker', 'vertex', 'azureml'] as const;

  it('has every server, and only those', () => {
    expect(Object.keys(data.servers).sort()).toEqual([...SERVERS].sort());
  });

  it.each(SERVERS)('%s: SageMaker gets its contract, and every entry names its sources', (server) => {
    expect(preset(server, 'sagemaker').container).toEqual(SAGEMAKER_CONTRACT);
    for (const p of providers) {
      const entry = preset(server, p);
      expect(entry.sources.length).toBeGreaterThan(0);
      for (const url of entry.sources) expect(url).toMatch(/^https:\/\//);
      expect(entry.image.length).toBeGreaterThan(0);
    }
    if (server !== 'sagemaker') {
      expect(preset(server, 'sagemaker').variant).toBeTruthy();
      expect(preset(server, 'sagemaker').stockImages!.length).toBeGreaterThan(0);
    }
  });

  it.each(SERVERS)('%s: variables, routes and arguments are ones the spec would accept', (server) => {
    for (const p of providers) {
      const { container, env, args } = preset(server, p);
      expect(Number.isInteger(container.port) && container.port >= 1 && container.port <= 65535).toBe(true);
      for (const route of [container.health, container.predict]) {
        expect(route).toMatch(/^\/\S*$/);
        expect(unknownReferences(route)).toEqual([]);
        // Azure's Route.path pattern needs a word character.
        if (p === 'azureml') expect(route).toMatch(/[a-zA-Z0-9_]/);
      }
      for (const [name, value] of Object.entries(env)) {
        expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(name).not.toMatch(/^MLSPEC_/);
        expect(value).not.toBe('');
        expect(unknownReferences(value)).toEqual([]);
        // Vertex expands $(AIP_STORAGE_URI) in arguments only: no Vertex variable may hold ${model_dir}.
        if (p === 'vertex') expect(value).not.toContain('${model_dir}');
      }
      if (p !== 'vertex') expect(args).toBeUndefined();
      for (const a of args ?? []) expect(unknownReferences(a)).toEqual([]);
    }
  });
});
