import { isMap, isScalar, isSeq, LineCounter, type Document, type Node, type Pair } from 'yaml';

/** A parsed YAML file that can say where a path is. */
export class YamlSource {
  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    readonly lineCounter: LineCounter,
  ) {}

  /**
   * Line and column of a path: of the key itself when `atKey`, else of its value; for a path
   * that does not exist (a missing key), of the deepest key that does.
   */
  position(path: readonly PropertyKey[], atKey = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    let keyOffset: number | undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = String(path[i]);
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = (node.items as Pair[]).find((p) => keyText(p.key) === seg);
        if (!pair) {
          // A missing key: point at the key of the map that should hold it.
          if (keyOffset !== undefined) offset = keyOffset;
          break;
        }
        const keyStart = rangeStart(pair.key);
        keyOffset = keyStart;
        if (last && atKey && keyStart !== undefined) {
          offset = keyStart;
          break;
        }
        // A key without a value (`serving:`) points at the key.
        const valueStart = rangeStart(pair.value);
        offset = valueStart ?? keyStart ?? offset;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)];
        const start = rangeStart(item);
        if (start === undefined) break;
        offset = start;
        node = item;
      } else {
        break;
      }
    }
    return this.lineCounter.linePos(offset);
  }
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
