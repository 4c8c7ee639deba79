import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The folder of mlspec's own package.json, whether this file runs from the TypeScript sources
 * (this repository: lib/util) or from the compiled package (node_modules/@mlspec/cdk/dist/lib/util).
 */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@mlspec/cdk') return dir;
    if (path.dirname(dir) === dir) throw new Error(`internal: no @mlspec/cdk package.json above ${from}`);
  }
}
