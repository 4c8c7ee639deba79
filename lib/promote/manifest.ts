import { isMap, isScalar, parseDocument, type Pair, type YAMLMap } from 'yaml';

/** releases.yaml laid out in a way promote cannot edit without rewriting more than the release. */
export class ManifestLayoutError extends Error {}

/** A release as promote computes it. */
export interface ReleaseTraffic {
  readonly traffic: Record<string, number>;
  readonly shadow?: { readonly version: string; readonly percent: number };
}

/**
 * The new traffic when `version` takes `percent` of `env`: the versions that served before share
 * the rest in proportion to what they had (largest remainders, so it sums to exactly 100); a
 * version left with 0 % stops serving. Returns an error sentence when the split is impossible.
 */
export function promotedTraffic(before: ReleaseTraffic | undefined, version: string, percent: number): ReleaseTraffic | string {
  const others = Object.entries(before?.traffic ?? {}).filter(([label, share]) => label !== version && share > 0);
  const rest = 100 - percent;
  if (rest > 0 && others.length === 0) return `nothing else serves there to take the other ${rest}%; promote with --percent 100 (or without --percent)`;
  const total = others.reduce((s, [, share]) => s + share, 0);
  const exact = others.map(([label, share]) => ({ label, value: (share / total) * rest }));
  const shares = exact.map((e) => ({ label: e.label, share: Math.floor(e.value), remainder: e.value - Math.floor(e.value) }));
  let missing = rest - shares.reduce((s, e) => s + e.share, 0);
  for (const e of [...shares].sort((a, b) => b.remainder - a.remainder || a.label.localeCompare(b.label))) {
    if (missing <= 0) break;
    e.share += 1;
    missing -= 1;
  }
  const traffic: Record<string, number> = {};
  for (const e of shares) if (e.share > 0) traffic[e.label] = e.share;
  traffic[version] = percent;
  // A version that goes live stops being the shadow.
  const shadow = before?.shadow && before.shadow.version !== version ? before.shadow : undefined;
  return { traffic: sortLabels(traffic), shadow };
}

function sortLabels(traffic: Record<string, number>): Record<string, number> {
  const labels = Object.keys(traffic).sort((a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a.localeCompare(b)));
  return Object.fromEntries(labels.map((l) => [l, traffic[l]]));
}

/**
 * Rewrites one environment's release of one model in releases.yaml text, touching only the bytes
 * of that release (or adding it), so every other line and comment stays byte for byte.
 */
export function editRelease(text: string, env: string, model: string, release: ReleaseTraffic, comment?: string): string {
  const doc = parseDocument(text);
  const root = doc.contents;
  const commentLines = (indent: string) => (comment ? comment.split('\n').map((c) => `${indent}# ${c}\n`).join('') : '');
  if (!isMap(root)) {
    const prefix = text.length > 0 && !text.endsWith('\n') ? `${text}\n` : text;
    return `${prefix}${env}:\n${commentLines('  ')}  ${model}: ${flow(release)}\n`;
  }
  const envPair = findPair(root, env);
  if (!envPair) {
    const prefix = text.endsWith('\n') || text.length === 0 ? text : `${text}\n`;
    return `${prefix}${env}:\n${commentLines('  ')}  ${model}: ${flow(release)}\n`;
  }
  const envMap = envPair.value;
  if (!isMap(envMap)) {
    // `prod:` with nothing under it yet: put the release on the following line.
    const keyRange = (envPair.key as { range: [number, number, number] }).range;
    const col = keyRange[0] - text.lastIndexOf('\n', keyRange[0] - 1) - 1;
    const indent = ' '.repeat(col + 2);
    const lineEnd = text.indexOf('\n', keyRange[1]);
    const at = lineEnd === -1 ? text.length : lineEnd + 1;
    const before = lineEnd === -1 ? `${text}\n` : text.slice(0, at);
    return `${before}${commentLines(indent)}${indent}${model}: ${flow(release)}\n${text.slice(at)}`;
  }
  if (envMap.flow) throw new ManifestLayoutError(`${env} is written on one line ({ ... }); write it as a block, one model per line, so promote can edit it`);
  const modelPair = findPair(envMap, model);
  if (!modelPair) {
    // Insert after the environment's last entry, at its siblings' indentation.
    const last = envMap.items[envMap.items.length - 1] as Pair;
    const lastKeyStart = (last.key as { range: [number, number, number] }).range[0];
    const indent = ' '.repeat(lastKeyStart - text.lastIndexOf('\n', lastKeyStart - 1) - 1);
    const end = envMap.range![1];
    const lineEnd = text.indexOf('\n', end - 1) === -1 ? text.length : text.lastIndexOf('\n', end) + 1 || text.length;
    const at = Math.max(lineEnd, end);
    const before = text.slice(0, at);
    const sep = before.endsWith('\n') ? '' : '\n';
    return `${before}${sep}${commentLines(indent)}${indent}${model}: ${flow(release)}\n${text.slice(at)}`;
  }
  const value = modelPair.value as { range?: [number, number, number]; flow?: boolean } | null;
  const keyRange = (modelPair.key as { range: [number, number, number] }).range;
  const lineStart = text.lastIndexOf('\n', keyRange[0] - 1) + 1;
  const indent = text.slice(lineStart, keyRange[0]);
  const withComment = (s: string) => (comment ? text.slice(0, lineStart) + commentLines(indent) + s.slice(lineStart) : s);
  if (value && value.range && value.flow) {
    return withComment(text.slice(0, value.range[0]) + flow(release) + text.slice(value.range[1]));
  }
  // A block-style release: replace from the key's line to the end of its value with block lines.
  const end = value?.range ? value.range[1] : keyRange[1];
  const endOfLine = text.indexOf('\n', end - 1);
  const stop = endOfLine === -1 ? text.length : end > 0 && text[end - 1] === '\n' ? end : endOfLine + 1;
  const block = `${indent}${model}:\n${blockLines(release, `${indent}  `)}`;
  return withComment(text.slice(0, lineStart) + block + text.slice(stop));
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => keyText(p.key) === key);
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

const q = (label: string) => JSON.stringify(label);

/** `{ traffic: { "7": 90, "8": 10 }, shadow: { version: "9", percent: 20 } }` — the style of the bundled example. */
export function flow(release: ReleaseTraffic): string {
  const traffic = Object.entries(release.traffic).map(([l, p]) => `${q(l)}: ${p}`).join(', ');
  const shadow = release.shadow ? `, shadow: { version: ${q(release.shadow.version)}, percent: ${release.shadow.percent} }` : '';
  return `{ traffic: { ${traffic} }${shadow} }`;
}

function blockLines(release: ReleaseTraffic, indent: string): string {
  const lines = [`${indent}traffic:`, ...Object.entries(release.traffic).map(([l, p]) => `${indent}  ${q(l)}: ${p}`)];
  if (release.shadow) lines.push(`${indent}shadow:`, `${indent}  version: ${q(release.shadow.version)}`, `${indent}  percent: ${release.shadow.percent}`);
  return `${lines.join('\n')}\n`;
}

/** A compact unified diff of two texts that differ in one region (what promote changes). */
export function lineDiff(before: string, after: string, file: string): string {
  if (before === after) return '';
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const from = Math.max(0, head - 1);
  const out = [`--- ${file}`, `+++ ${file}`, `@@ -${from + 1},${a.length - tail - from + Math.min(1, tail)} +${from + 1},${b.length - tail - from + Math.min(1, tail)} @@`];
  if (from < head) out.push(` ${a[from]}`);
  for (const line of a.slice(head, a.length - tail)) out.push(`-${line}`);
  for (const line of b.slice(head, b.length - tail)) out.push(`+${line}`);
  if (tail > 0 && a.length - tail < a.length && a[a.length - tail] !== '') out.push(` ${a[a.length - tail]}`);
  return `${out.join('\n')}\n`;
}
