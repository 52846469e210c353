/**
 * Writes a parsed policy back as JSON in MinIO's field order, omitting empty fields.
 *
 * @module
 */
import { KMS_ARN_PREFIX, S3_ARN_PREFIX } from './parse.js'
import type { Policy } from './types.js'

const arn = (r: string): string => (r.startsWith(KMS_ARN_PREFIX) ? r : S3_ARN_PREFIX + r)

/** policyToJson returns the document as a plain object ready for JSON.stringify. Never throws. */
export function policyToJson(policy: Policy): Record<string, unknown> {
  return {
    Version: policy.version,
    ...(policy.id ? { Id: policy.id } : {}),
    Statement: policy.statements.map((s) => {
      const conditions: Record<string, Record<string, string[]>> = {}
      for (const c of s.conditions) {
        const name = c.qualifier ? `${c.qualifier}:${c.operator}` : c.operator
        conditions[name] ??= {}
        conditions[name][c.key] = [...c.values]
      }
      return {
        ...(s.sid ? { Sid: s.sid } : {}),
        Effect: s.effect,
        ...(s.principals ? { Principal: { AWS: [...s.principals] } } : {}),
        ...(s.actions.length ? { Action: [...s.actions] } : {}),
        ...(s.notActions.length ? { NotAction: [...s.notActions] } : {}),
        ...(s.resources.length ? { Resource: s.resources.map(arn) } : {}),
        ...(s.notResources.length ? { NotResource: s.notResources.map(arn) } : {}),
        ...(s.conditions.length ? { Condition: conditions } : {}),
      }
    }),
  }
}

/** policyToString serialises compactly, as MinIO stores and lists policies. Never throws. */
export function policyToString(policy: Policy): string {
  return JSON.stringify(policyToJson(policy))
}
