import * as path from 'node:path';

export function examplePaths(root: string): { spec: string; releases: string } {
  return { spec: path.join(root, 'examples/mlspec.yaml'), releases: path.join(root, 'examples/releases.yaml') };
}
