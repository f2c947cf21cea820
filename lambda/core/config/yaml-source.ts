import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { InputIssue } from '../issues';
import { formatPath } from '../issues';

/** A parsed YAML (or JSON) text that can say where any value came from. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** Syntax errors, duplicate keys and the like; when non-empty, `value` is not to be trusted. */
  readonly syntaxIssues: InputIssue[];
  /** Line and column of the node at `path`, or of the nearest ancestor that exists. */
  positionOf(path: ReadonlyArray<PropertyKey>, opts?: { key?: boolean }): { line: number; col: number };
  /** An issue located at `path`. */
  issueAt(path: ReadonlyArray<PropertyKey>, message: string, opts?: { key?: boolean }): InputIssue;
}

/** Parses YAML text (JSON is YAML) keeping source positions; pure, so it runs anywhere. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const syntaxIssues: InputIssue[] = [...doc.errors].map((e) => ({
    file,
    ...pos(e.pos[0]),
    path: '',
    message: e.message.split('\n')[0] ?? e.message,
  }));

  const positionOf = (path: ReadonlyArray<PropertyKey>, opts?: { key?: boolean }) => {
    let node: Node | null = doc.contents as Node | null;
    let keyNode: Node | null = null;
    for (const part of path) {
      if (!node) break;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) break;
        keyNode = pair.key as Node;
        if (!pair.value) {
          node = keyNode;
          break;
        }
        node = pair.value as Node;
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part] as Node | undefined;
        if (!item) break;
        keyNode = null;
        node = item;
      } else break;
    }
    const target = opts?.key && keyNode ? keyNode : node;
    const offset = target?.range?.[0] ?? 0;
    return pos(offset);
  };

  return {
    file,
    value: doc.toJS({ maxAliasCount: 100 }),
    syntaxIssues,
    positionOf,
    issueAt: (path, message, opts) => ({ file, ...positionOf(path, opts), path: formatPath(path), message }),
  };
}
