/**
 * Request-body parsing for handlers: read within the route limit, JSON-decode, check the shape.
 * Any failure (too large, not JSON, wrong shape, bad base64) is the one 400 the route defines,
 * exactly as Go's `json.Decoder` failing does in KES.
 *
 * @module
 */
import { z } from 'zod'
import type { ApiError } from '../api/errors.js'
import type { ApiRequest } from '../api/route.js'
import { decodeBase64 } from '../api/validate.js'

/** A base64 `[]byte` field (standard, padded); null means empty, as Go decodes it. */
export const bytes = z.union([z.string(), z.null()]).transform((s, ctx) => {
  if (s === null) return Buffer.alloc(0)
  const b = decodeBase64(s)
  if (b === undefined) {
    ctx.addIssue({ code: 'custom', message: 'invalid base64' })
    return z.NEVER
  }
  return b
})

/**
 * parseBody reads and validates the JSON body. An empty body parses as `empty` when given.
 * Throws `fail()` for every malformed or oversized body.
 */
export async function parseBody<S extends z.ZodType>(req: ApiRequest, schema: S, fail: () => ApiError, empty?: unknown): Promise<z.output<S>> {
  const parsed = schema.safeParse(await readJson(req, fail, empty))
  if (!parsed.success) throw fail()
  return parsed.data
}

/**
 * parseBytesBody reads a JSON object whose `fields` are all optional base64 `[]byte`s (the
 * generate, encrypt, decrypt and hmac bodies) and accepts exactly what
 * `z.object({ <field>: bytes.optional() })` accepts, without zod's per-call machinery: this runs
 * on every crypto request. Missing and null fields are empty; other fields are ignored.
 * Throws `fail()` for every malformed or oversized body.
 */
export async function parseBytesBody<K extends string>(req: ApiRequest, fields: readonly K[], fail: () => ApiError, empty?: unknown): Promise<Record<K, Buffer>> {
  const json = await readJson(req, fail, empty)
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail()
  const out = {} as Record<K, Buffer>
  for (const f of fields) {
    const v = (json as Record<string, unknown>)[f]
    if (v === undefined || v === null) out[f] = Buffer.alloc(0)
    else if (typeof v !== 'string') throw fail()
    else out[f] = decodeBase64(v) ?? failWith(fail)
  }
  return out
}

function failWith(fail: () => ApiError): never {
  throw fail()
}

/** readJson reads the body and parses it as JSON; an empty body is `empty` when given. Throws `fail()`. */
async function readJson(req: ApiRequest, fail: () => ApiError, empty: unknown): Promise<unknown> {
  let raw: Buffer
  try {
    raw = await req.readBody()
  } catch (err) {
    throw Object.assign(fail(), { cause: err })
  }
  if (raw.length === 0 && empty !== undefined) return empty
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    throw fail()
  }
}

/** rfc3339Nano formats a time as Go's RFC3339Nano (trailing zeros of the fraction dropped). */
export function rfc3339Nano(d: Date | undefined): string {
  if (d === undefined || Number.isNaN(d.getTime())) return '0001-01-01T00:00:00Z'
  return d.toISOString().replace(/\.?0*Z$/, 'Z')
}
