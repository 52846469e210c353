/**
 * Response header names as AWS spells them: standard headers in canonical case (`ETag`, `Content-Type`,
 * `Content-MD5`, `Last-Modified`), `x-amz-*` and `x-minio-*` in lower case. Node writes a header name as it was
 * given to `setHeader`, and keyhold-s3's handlers give lower case; HTTP says names are case-insensitive, but
 * libs3 (Debian's `s3` tool) and other clients compare them case-sensitively and lose ETag, Content-Type and
 * Content-Length when they are spelled otherwise. MinIO sets the literal `ETag` for the same reason.
 *
 * {@link CanonicalHeaderResponse} is handed to `createServer` as its `ServerResponse` class, so every answer
 * of the server is spelled this way in one place, whatever its handler wrote.
 *
 * @module
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http'

/** Names whose canonical case is not "capitalise each dash-separated word". */
const SPECIAL: Readonly<Record<string, string>> = {
  etag: 'ETag',
  'content-md5': 'Content-MD5',
  'www-authenticate': 'WWW-Authenticate',
  te: 'TE',
  dnt: 'DNT',
}

/**
 * Names seen before, by the spelling they were given in. Bounded: user metadata names (`x-amz-meta-*`) are the
 * client's choice, so past the bound a name is worked out each time rather than remembered.
 */
const seen = new Map<string, string>()
const SEEN_LIMIT = 1024

/** canonicalHeaderName spells a header name as AWS does (see the module comment). Throws nothing. */
export function canonicalHeaderName(name: string): string {
  const known = seen.get(name)
  if (known !== undefined) return known
  const spelled = spell(name)
  if (seen.size < SEEN_LIMIT) seen.set(name, spelled)
  return spelled
}

function spell(name: string): string {
  const lower = name.toLowerCase()
  if (lower.startsWith('x-amz-') || lower.startsWith('x-minio-')) return lower
  const special = SPECIAL[lower]
  if (special !== undefined) return special
  let out = ''
  let startOfWord = true
  for (const ch of lower) {
    out += startOfWord ? ch.toUpperCase() : ch
    startOfWord = ch === '-'
  }
  return out
}

/** The headers argument of `writeHead` with its names respelled; anything else is passed on untouched. */
function canonicalHeaders(headers: unknown): unknown {
  if (Array.isArray(headers)) {
    // Node takes a flat [name, value, name, value...] list, or a list of [name, value] pairs.
    if (headers.length > 0 && Array.isArray(headers[0])) {
      return (headers as [string, OutgoingHttpHeader][]).map(([k, v]) => [canonicalHeaderName(String(k)), v])
    }
    return headers.map((item: unknown, i) => (i % 2 === 0 && typeof item === 'string' ? canonicalHeaderName(item) : item))
  }
  if (headers !== null && typeof headers === 'object') {
    const out: OutgoingHttpHeaders = {}
    for (const [k, v] of Object.entries(headers as OutgoingHttpHeaders)) out[canonicalHeaderName(k)] = v
    return out
  }
  return headers
}

/**
 * The instance's setHeader: Node's, with the name respelled. `setHeaders` and `appendHeader` (of a new name),
 * and `writeHead` once a header was set, all come through here. Throws what Node's setHeader throws (invalid
 * name or value, headers already sent).
 */
function setCanonicalHeader(this: ServerResponse, name: string, value: number | string | readonly string[]): ServerResponse {
  // Not a string: left for Node to refuse with its own error.
  const spelled = typeof name === 'string' ? canonicalHeaderName(name) : name
  return ServerResponse.prototype.setHeader.call(this, spelled, value) as ServerResponse
}

/**
 * The instance's writeHead: Node's, with the names of its headers argument respelled (Node writes that
 * argument as given when no header was set before). Throws what Node's writeHead throws.
 */
function writeCanonicalHead(this: ServerResponse, statusCode: number, ...rest: unknown[]): ServerResponse {
  const args = rest.map((arg) => (typeof arg === 'string' ? arg : canonicalHeaders(arg)))
  return (ServerResponse.prototype.writeHead as (status: number, ...a: unknown[]) => ServerResponse).call(this, statusCode, ...args)
}

/**
 * CanonicalHeaderResponse is a ServerResponse whose header names go on the wire as AWS spells them. Pass it as
 * the `ServerResponse` option of `createServer`. Its methods throw what Node's do.
 */
export class CanonicalHeaderResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  constructor(req: Request, options?: object) {
    // Node passes the server's response options (highWaterMark...) as a second argument its typings leave out.
    super(...([req, options] as unknown as [Request]))
    // Own properties rather than overrides: Express (the admin routes) re-parents each response onto its own
    // prototype, chained to ServerResponse's and not to this class's, and would drop overridden methods.
    Object.assign(this, { setHeader: setCanonicalHeader, writeHead: writeCanonicalHead })
  }
}
