/**
 * Records of the IAM store.
 *
 * @module
 */

/** A user's status. */
export type Status = 'enabled' | 'disabled'

/** UserRecord is one internal user. `secret` is opaque (possibly sealed). */
export interface UserRecord {
  accessKey: string
  secret: string
  status: Status
  updatedAt: Date
}

/** GroupRecord is one group and its members. */
export interface GroupRecord {
  name: string
  status: Status
  members: string[]
  updatedAt: Date
}

/** PolicyRecord is a stored custom policy (canonical JSON). */
export interface PolicyRecord {
  name: string
  document: string
  createdAt: Date
  updatedAt: Date
}

/** ServiceAccountRecord is one service account. `secret` is opaque (possibly sealed). */
export interface ServiceAccountRecord {
  accessKey: string
  secret: string
  parent: string
  status: 'on' | 'off'
  /** Canonical JSON of the session policy; null = inherits the parent's policy. */
  sessionPolicy: string | null
  name: string
  description: string
  /** null = never expires. */
  expiration: Date | null
  createdAt: Date
}
