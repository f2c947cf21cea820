import type { RuntimeConfig } from './runtime-config';
import { parseRuntimeConfig } from './runtime-config';

/** The format a published document declares; a function refuses any other. */
export const DOCUMENT_FORMAT = 'surgeguard/runtime-v1';

/**
 * The largest document a region may publish: every function reads and parses it at a cold start, within a few
 * hundred milliseconds at 256 MB.
 */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** A region's published config and plan: what the deployed functions read at run time. */
export interface PublishedDocument {
  readonly format: typeof DOCUMENT_FORMAT;
  /** The region whose fleets and events it holds. */
  readonly region: string;
  /** When and by whom it was published (cdk deploy, or `surgeguard publish`), for status and the audit trail. */
  readonly publishedAt: string;
  readonly publishedBy: string;
  /** Hex SHA-256 of `JSON.stringify(runtime)`: a truncated or edited document is refused. */
  readonly sha256: string;
  readonly runtime: RuntimeConfig;
}

/** Hex SHA-256 of a text; injected, so the core holds no crypto of its own. */
export type Hash = (text: string) => string;

/** Builds the document a region publishes. */
export function buildDocument(
  runtime: RuntimeConfig,
  meta: { region: string; publishedAt: string; publishedBy: string },
  hash: Hash,
): PublishedDocument {
  return { format: DOCUMENT_FORMAT, ...meta, sha256: hash(JSON.stringify(runtime)), runtime };
}

/** What a function expects of a document: its own region, and only fleets its stack was deployed for. */
export interface DocumentExpectation {
  readonly region: string;
  /** The fleet ids the stack grants access to; a document may use fewer, never others. */
  readonly fleets: readonly string[];
}

/** A document a function cannot use: why, in one line. */
export class DocumentRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentRejected';
  }
}

/**
 * Reads and checks a published document: JSON, its format, its integrity, its region, its fleets, and the runtime
 * config's shape. Throws {@link DocumentRejected} saying what is wrong.
 */
export function verifyDocument(text: string, expect: DocumentExpectation, hash: Hash): PublishedDocument {
  if (text.length > MAX_DOCUMENT_BYTES)
    throw new DocumentRejected(`document is ${text.length} bytes, over the ${MAX_DOCUMENT_BYTES}-byte limit`);
  let doc: Partial<PublishedDocument>;
  try {
    doc = JSON.parse(text) as Partial<PublishedDocument>;
  } catch (err) {
    throw new DocumentRejected(`document is not JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new DocumentRejected('document: expected an object');
  if (doc.format !== DOCUMENT_FORMAT)
    throw new DocumentRejected(`document format ${String(doc.format)}: expected ${DOCUMENT_FORMAT}`);
  const body = JSON.stringify(doc.runtime);
  if (typeof doc.sha256 !== 'string' || hash(body ?? '') !== doc.sha256)
    throw new DocumentRejected('document sha256 does not match its runtime config: truncated or edited');
  if (doc.region !== expect.region)
    throw new DocumentRejected(`document is for region ${String(doc.region)}, not ${expect.region}`);
  let runtime: RuntimeConfig;
  try {
    runtime = parseRuntimeConfig(body);
  } catch (err) {
    throw new DocumentRejected((err as Error).message.replace('SURGEGUARD_CONFIG', 'document runtime'));
  }
  const allowed = new Set(expect.fleets);
  const foreign = runtime.config.fleets.filter((f) => f.region !== expect.region || !allowed.has(f.id));
  if (foreign.length)
    throw new DocumentRejected(
      `document has fleets this stack was not deployed for: ${foreign.map((f) => f.id).join(', ')} (deploy the stack with them first)`,
    );
  return { ...(doc as PublishedDocument), runtime };
}
