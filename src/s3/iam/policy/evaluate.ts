/**
 * Policy evaluation: explicit Deny wins, then (for the owner) allow, then Allow, else deny.
 *
 * @module
 */
import { conditionsHold, patternPieces, substitute } from './conditions.js'
import { isResourceless } from './actions.js'
import type { Policy, PolicyArgs, Statement } from './types.js'
import { piecesMatch, wildcardMatch } from './wildcard.js'

/** isAllowed evaluates `policy` for `args` in MinIO's order. Never throws. */
export function isAllowed(policy: Policy, args: PolicyArgs): boolean {
  return isAllowedBy([policy], args)
}

/** isAllowedBy evaluates several policies as one merged policy. Never throws. */
export function isAllowedBy(policies: readonly Policy[], args: PolicyArgs, principal?: string): boolean {
  const statements = policies.flatMap((p) => p.statements)
  if (statements.some((s) => s.effect === 'Deny' && statementMatches(s, args, principal))) return false
  if (args.denyOnly || args.isOwner) return true
  return statements.some((s) => s.effect === 'Allow' && statementMatches(s, args, principal))
}

/** statementMatches reports whether a statement applies to the request (action, resource, conditions, principal). */
export function statementMatches(s: Statement, args: PolicyArgs, principal?: string): boolean {
  if (s.principals && !s.principals.some((p) => p === '*' || (principal !== undefined && wildcardMatch(p, principal)))) return false
  if (s.actions.length > 0 && !s.actions.some((a) => actionMatches(a, args.action))) return false
  if (s.notActions.some((a) => actionMatches(a, args.action))) return false
  if (!resourceMatches(s, args)) return false
  return conditionsHold(s.conditions, args.conditions)
}

function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern, action)
}

function resourceMatches(s: Statement, args: PolicyArgs): boolean {
  // Resource does not bind the admin and STS actions a statement names (MinIO's isAdmin, isSTS); for the
  // KMS actions it names, it names keys. Only a statement that names such actions gets this: one that
  // reaches an admin request through NotAction or `*` is bound by its resources like any other, against
  // the request's resource `/`, so `NotAction: s3:DeleteObject` on `shared/*` grants no admin action.
  if (isResourceless(args.action)) {
    if (s.actions.some(isResourceless)) {
      if (!args.action.startsWith('kms:') || s.resources.length === 0) return true
      // A KMS call that names no key (status, a listing before its keys are filtered) asks "on any key?", as
      // MinIO's resource `/` does: an Allow of some keys grants it, a Deny only when it covers every key.
      if (args.object === undefined) return s.effect === 'Allow' || s.resources.some((r) => wildcardMatch(r, 'arn:minio:kms:::*'))
      const key = `arn:minio:kms:::${args.object}`
      return s.resources.some((r) => wildcardMatch(r, key))
    }
    // Stricter than MinIO for an Allow: only a statement over every resource (`arn:aws:s3:::*`) reaches these
    // actions without naming them. MinIO matches the request's resource `/` against the patterns, so `*/*`
    // ("every object"), `*/` or `?` granted admin too (found by an attack). A Deny keeps MinIO's matching.
    if (s.effect === 'Allow') return s.resources.includes('*') && !s.notResources.some((r) => patternMatches(r, requestResource(args), args))
  }
  const resource = requestResource(args)
  if (s.resources.length > 0 && !s.resources.some((r) => patternMatches(r, resource, args))) return false
  return !s.notResources.some((r) => patternMatches(r, resource, args))
}

/** The request resource as MinIO spells it: `bucket/object`, or `bucket/` for bucket-level actions. */
function requestResource(args: PolicyArgs): string {
  const bucket = args.bucket ?? ''
  if (!args.object) return `${bucket}/`
  return args.object.startsWith('/') ? bucket + args.object : `${bucket}/${args.object}`
}

function patternMatches(raw: string, resource: string, args: PolicyArgs): boolean {
  const pattern = substitute(raw, args.conditions)
  // `arn:aws:s3:::bucket` names the bucket's own requests (resource `bucket/`). For objects the cleaned path is
  // not compared (MinIO does): `plan.txt/` or `a/../plan.txt` would be granted by a statement naming `plan.txt`.
  if (!args.object) {
    const clean = cleanPath(resource)
    if (clean !== '.' && clean === pattern) return true
  }
  return piecesMatch(patternPieces(raw, args.conditions), resource)
}

/** Go's path.Clean for the shapes resources take. */
function cleanPath(p: string): string {
  const parts: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') parts.pop()
    else parts.push(seg)
  }
  const out = parts.join('/')
  if (p.startsWith('/')) return `/${out}`
  return out === '' ? '.' : out
}
