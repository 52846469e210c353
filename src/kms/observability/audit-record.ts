/**
 * The audit record: what Keyhold remembers about every request it answered.
 *
 * The JSON shape is KES's audit event (`{time, request{ip,path,identity}, response{code,time}}`,
 * the shape kms-go and `kes log --audit` decode) plus our own fields: the method, the policy
 * decision and the policy that made it. Nothing here ever holds a request or response body.
 *
 * @module
 */

/** The authorisation outcome of a request, as the audit log states it. */
export type AuditDecision = 'allow' | 'deny' | 'admin' | 'none'

/** AuditRecord is one audited request, as the wrapper collects it. */
export interface AuditRecord {
  /** When the request arrived. */
  time: Date
  method: string
  /** The URL path, without the query string (which KES ignores). */
  path: string
  /** The caller's identity (hex SHA-256 of its public key), or '' when it had none. */
  identity: string
  /** The client's IP address. */
  ip: string
  status: number
  /** Time to the last byte of the response, in milliseconds. */
  responseMs: number
  /** `admin`: the admin identity; `allow`/`deny`: a policy decided; `none`: no policy check ran. */
  decision: AuditDecision
  /** The policy that decided, when one did. */
  policy?: string
  /** A short handler note such as "key 'my-key' created": never secrets. */
  message?: string
}

/** AuditEvent is the JSON form of a record: KES's event shape plus our fields. */
export interface AuditEvent {
  time: string
  request: { ip: string; method: string; path: string; identity: string }
  /** `time`: whole milliseconds, as KES; `time_us`: the same in whole microseconds (ours). */
  response: { code: number; time: number; time_us: number }
  decision: AuditDecision
  policy?: string
  message?: string
}

/**
 * The `response` times of a record: `time` in whole milliseconds, truncated, exactly as KES HEAD
 * writes it (`ResponseTime.Milliseconds()`, an int64): kms-go decodes it into a Go integer and a
 * fraction (`4.077`) fails the first event and ends its stream. A KMS answers most requests in
 * well under a millisecond, so `time_us` keeps the figure in whole microseconds; clients that
 * decode strictly ignore an unknown member. Files written before this change held fractional
 * `time`s: `keyhold audit verify` hashes the bytes as written, so they still verify.
 */
function responseTimes(ms: number): { time: number; time_us: number } {
  // Truncated like Go's Duration.Milliseconds/Microseconds, from whole nanoseconds so that float
  // noise (4.077 * 1000 = 4076.9999…) cannot take a microsecond off.
  const ns = Number.isFinite(ms) && ms > 0 ? Math.round(ms * 1e6) : 0
  return { time: Math.trunc(ns / 1e6), time_us: Math.trunc(ns / 1e3) }
}

/** toAuditEvent turns a record into its JSON form. Throws nothing. */
export function toAuditEvent(record: AuditRecord): AuditEvent {
  const event: AuditEvent = {
    time: record.time.toISOString(),
    request: { ip: record.ip, method: record.method, path: record.path, identity: record.identity },
    response: { code: record.status, ...responseTimes(record.responseMs) },
    decision: record.decision,
  }
  if (record.policy) event.policy = record.policy
  if (record.message) event.message = record.message
  return event
}

// The ISO text of the current second, so most events format their time with string appends:
// Date#toISOString was a third of building an event.
let cachedSecond = Number.NaN
let cachedPrefix = ''

/** isoTime is `d.toISOString()`, cheaper for times within the same second. Throws RangeError for an invalid date, as toISOString. */
function isoTime(d: Date): string {
  const ms = d.getTime()
  const second = Math.floor(ms / 1000)
  if (second !== cachedSecond) {
    const iso = d.toISOString()
    // Years outside 0000-9999 have a longer form: not cached.
    if (iso.length !== 24) return iso
    cachedSecond = second
    cachedPrefix = iso.slice(0, 20)
  }
  const frac = ms - second * 1000
  return `${cachedPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`
}

/**
 * auditJson is `JSON.stringify(toAuditEvent(record))`, byte for byte, written directly: it runs
 * for every request, and the intermediate objects and the generic serialiser cost more than the
 * string itself. Throws RangeError for an invalid `time`, as toAuditEvent.
 */
export function auditJson(record: AuditRecord): string {
  const s = JSON.stringify
  const t = responseTimes(record.responseMs)
  let json =
    `{"time":"${isoTime(record.time)}","request":{"ip":${s(record.ip)},"method":${s(record.method)},"path":${s(record.path)},` +
    `"identity":${s(record.identity)}},"response":{"code":${s(record.status)},"time":${s(t.time)},"time_us":${s(t.time_us)}},"decision":${s(record.decision)}`
  if (record.policy) json += `,"policy":${s(record.policy)}`
  if (record.message) json += `,"message":${s(record.message)}`
  return `${json}}`
}
