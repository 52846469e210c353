/**
 * What an admin handler receives and returns.
 *
 * @module
 */
import type { Request } from 'express'
import type { Credential } from '../extensions.js'
import type { IamAccess } from '../iam/authorizer.js'
import type { Iam } from '../iam/iam.js'

/** How a call was allowed: by an admin action, or by its self-service exception. */
export type Grant = 'admin' | 'self'

/** AdminRequest is one authenticated admin call. */
export interface AdminRequest {
  req: Request
  credential: Credential
  /** The raw request body (verified against the signature). */
  body: Buffer
  iam: Iam
  access: IamAccess
  /** query returns a query parameter ('' when absent). */
  query(name: string): string
  /**
   * decryptJson decrypts a madmin-encrypted body with the caller's secret and parses it (once; later
   * calls answer the same value). Throws IamError.
   */
  decryptJson(): Promise<unknown>
  /** plainJson parses a plain JSON body. Throws IamError. */
  plainJson(): unknown
  /**
   * isAllowed evaluates an admin action for the caller; `denyOnly` asks MinIO's DenyOnly question
   * (refused only by an explicit Deny, and never for a user without policies). Never throws.
   */
  isAllowed(action: string, denyOnly?: boolean): boolean
  /** authorize requires an admin action beyond the route's own (e.g. attaching a policy). Throws IamError AccessDenied. */
  authorize(action: string): void
  /** How the router allowed this call: by the route's admin action, or by its self-service exception. */
  grant: Grant
  /** The user the caller acts as: itself, or a service account's parent. */
  actingUser: string
}

/** AdminReply is what a handler answers: a status, and optionally JSON (encrypted when `encrypt`). */
export interface AdminReply {
  status: number
  json?: unknown
  encrypt?: boolean
  /** Pretty-print with a 1-space indent (info-canned-policy). */
  indent?: boolean
}

/** AdminHandler serves one admin endpoint. Throws IamError/S3Error for client errors. */
export type AdminHandler = (r: AdminRequest) => Promise<AdminReply>
