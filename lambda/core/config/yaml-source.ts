import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
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
  // The parser accepts an alias whose anchor is missing or comes later; toJS would throw a bare ReferenceError.
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc)) return;
      syntaxIssues.push({
        file,
        ...pos(alias.range?.[0] ?? 0),
        path: '',
        message: `unresolved alias *${alias.source}: no anchor &${alias.source} is set before it`,
      });
    },
  });
  let value: unknown;
  try {
    value = syntaxIssues.length ? undefined : doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Past the alias checks, what is left is too many aliases (a YAML bomb): say so without a stack trace.
    syntaxIssues.push({ file, line: 1, col: 1, path: '', message: (err as Error).message });
  }

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
    value,
    syntaxIssues,
    positionOf,
    issueAt: (path, message, opts) => ({ file, ...positionOf(path, opts), path: formatPath(path), message }),
  };
}
