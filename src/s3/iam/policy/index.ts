/**
 * The policy language: parsing, evaluation, canned policies.
 *
 * @module
 */
export * from './types.js'
export * from './errors.js'
export { parsePolicy, policyFromJson, MAX_POLICY_SIZE, S3_ARN_PREFIX, type ParseOptions } from './parse.js'
export { isAllowed, isAllowedBy, statementMatches } from './evaluate.js'
export { policyToJson, policyToString } from './serialize.js'
export { CANNED_POLICIES, CANNED_POLICY_TEXT } from './canned.js'
export { wildcardMatch } from './wildcard.js'
