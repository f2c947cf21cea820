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

/**
 * What a stack was deployed for, that a document may not change: each fleet's ECS service (the functions may act on
 * those only) and the shield's web ACL (created or granted at deploy). Published beside the stack, and given to its
 * functions, so a publish cannot point them at something they may not touch.
 */
export interface StackBindings {
  /** Per fleet id: its cluster and service. A document may use fewer fleets, never others. */
  readonly fleets: Readonly<Record<string, { readonly cluster: string; readonly service: string }>>;
  /** The shield's web ACL, or null when the stack has none. */
  readonly webAcl: {
    readonly mode: 'managed' | 'existing';
    readonly name: string;
    readonly region: string;
    readonly scope: 'REGIONAL' | 'CLOUDFRONT';
    readonly arn?: string;
    readonly id?: string;
  } | null;
}

/** The bindings of a region's runtime config as its stack is built from it. */
export function bindingsOf(runtime: RuntimeConfig): StackBindings {
  const acl = runtime.config.shield?.webAcl;
  return {
    fleets: Object.fromEntries(
      runtime.config.fleets.map((f) => [f.id, { cluster: f.cluster, service: f.service }]),
    ),
    webAcl: acl
      ? {
          mode: acl.mode,
          name: acl.name,
          region: acl.region,
          scope: acl.scope,
          ...(acl.arn ? { arn: acl.arn } : {}),
          ...(acl.id ? { id: acl.id } : {}),
        }
      : null,
  };
}

/**
 * The runtime config with the stack's bindings in place of the config's names: what `cdk deploy` publishes when the
 * construct was given services or a web ACL, or a name prefix for a managed web ACL. Throws when the config's
 * fleets or shield do not fit the stack.
 */
export function withBindings(runtime: RuntimeConfig, bindings: StackBindings): RuntimeConfig {
  const misfit = misfitOf(runtime, bindings);
  if (misfit.foreign.length)
    throw new DocumentRejected(
      `fleets this stack was not deployed for: ${misfit.foreign.join(', ')} (deploy the stack with them first)`,
    );
  if (misfit.shield)
    throw new DocumentRejected(
      misfit.shield === 'extra'
        ? 'the config has a shield, but the stack was deployed without a web ACL (deploy the stack with it first)'
        : 'the stack holds a web ACL, but the config has no shield: a publish cannot turn the shield off (deploy instead)',
    );
  const shield = runtime.config.shield;
  return {
    ...runtime,
    config: {
      ...runtime.config,
      fleets: runtime.config.fleets.map((f) => ({ ...f, ...bindings.fleets[f.id]! })),
      shield:
        shield && bindings.webAcl
          ? {
              ...shield,
              webAcl: { ...shield.webAcl, ...bindings.webAcl, associate: shield.webAcl.associate },
            }
          : shield,
    },
  };
}

/**
 * Where a runtime config does not fit a stack: fleet ids the stack was not deployed for (or in another region), and
 * a shield the stack has no web ACL for (`extra`) or a web ACL the config leaves without a shield (`missing`).
 */
function misfitOf(
  runtime: RuntimeConfig,
  bindings: StackBindings,
  region?: string,
): { foreign: string[]; shield?: 'extra' | 'missing' } {
  const foreign = runtime.config.fleets
    .filter((f) => !bindings.fleets[f.id] || (region !== undefined && f.region !== region))
    .map((f) => f.id);
  const has = Boolean(runtime.config.shield);
  if (has === Boolean(bindings.webAcl)) return { foreign };
  return { foreign, shield: has ? 'extra' : 'missing' };
}

/** What a function expects of a document: its own region, and the stack's bindings. */
export interface DocumentExpectation {
  readonly region: string;
  readonly bindings: StackBindings;
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
  const b = expect.bindings;
  const misfit = misfitOf(runtime, b, expect.region);
  if (misfit.foreign.length)
    throw new DocumentRejected(
      `document has fleets this stack was not deployed for: ${misfit.foreign.join(', ')} (deploy the stack with them first)`,
    );
  for (const f of runtime.config.fleets) {
    const bound = b.fleets[f.id]!;
    if (f.cluster !== bound.cluster || f.service !== bound.service)
      throw new DocumentRejected(
        `document's fleet ${f.id} scales ${f.cluster}/${f.service}; the stack was deployed for ${bound.cluster}/${bound.service}`,
      );
  }
  if (misfit.shield)
    throw new DocumentRejected(
      misfit.shield === 'extra'
        ? 'document has a shield; the stack was deployed without one'
        : 'document has no shield; the stack holds one',
    );
  const acl = runtime.config.shield?.webAcl;
  if (
    acl &&
    b.webAcl &&
    (acl.name !== b.webAcl.name || acl.region !== b.webAcl.region || acl.scope !== b.webAcl.scope)
  )
    throw new DocumentRejected(
      `document's shield switches web ACL ${acl.name} (${acl.region}, ${acl.scope}); the stack was deployed for ${b.webAcl.name} (${b.webAcl.region}, ${b.webAcl.scope})`,
    );
  return { ...(doc as PublishedDocument), runtime };
}
