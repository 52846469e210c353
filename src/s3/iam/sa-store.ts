/**
 * Service accounts in the IAM database.
 *
 * @module
 */
import type { IamDB } from './db.js'
import { iamErr } from './errors.js'
import type { ServiceAccountRecord } from './store-types.js'

interface Row {
  access_key: string; secret: string; parent: string; status: string; session_policy: string | null
  name: string; description: string; expiration: number | null; created_at: number
}

const toRecord = (r: Row): ServiceAccountRecord => ({
  accessKey: r.access_key, secret: r.secret, parent: r.parent, status: r.status as 'on' | 'off',
  sessionPolicy: r.session_policy, name: r.name, description: r.description,
  expiration: r.expiration === null ? null : new Date(r.expiration), createdAt: new Date(r.created_at),
})

/** The fields of a service account an edit may change. */
export type ServiceAccountUpdate = Partial<Pick<ServiceAccountRecord, 'secret' | 'status' | 'sessionPolicy' | 'name' | 'description' | 'expiration'>>

/** ServiceAccountStore reads and writes service accounts. */
export class ServiceAccountStore {
  constructor(private readonly db: IamDB) {}

  /** get returns a service account (expired ones too) or undefined. */
  get(accessKey: string): ServiceAccountRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_accounts WHERE access_key = ?').get(accessKey) as Row | undefined
    return row && toRecord(row)
  }

  /** list returns the service accounts of a parent (all when parent is undefined), sorted by access key. */
  list(parent?: string): ServiceAccountRecord[] {
    const rows = parent === undefined
      ? this.db.prepare('SELECT * FROM service_accounts ORDER BY access_key').all()
      : this.db.prepare('SELECT * FROM service_accounts WHERE parent = ? ORDER BY access_key').all(parent)
    return (rows as Row[]).map(toRecord)
  }

  /**
   * add creates a service account. Throws IamError XMinioAdminInvalidArgument if the access key is
   * taken by a user or another service account, or `parentExists` says the parent is gone.
   */
  add(sa: ServiceAccountRecord, parentExists: () => boolean): void {
    this.db.transaction(() => {
      if (!parentExists()) throw iamErr('XMinioAdminNoSuchUser')
      const taken = this.db.prepare('SELECT 1 FROM users WHERE access_key = ? UNION ALL SELECT 1 FROM service_accounts WHERE access_key = ?')
        .get(sa.accessKey, sa.accessKey)
      if (taken) throw iamErr('XMinioAdminInvalidArgument', 'The access key is already in use.')
      this.db.prepare(`INSERT INTO service_accounts(access_key, secret, parent, status, session_policy, name, description, expiration, created_at)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(sa.accessKey, sa.secret, sa.parent, sa.status, sa.sessionPolicy, sa.name,
        sa.description, sa.expiration?.getTime() ?? null, sa.createdAt.getTime())
    })()
  }

  /** update changes the given fields. Throws IamError XMinioAdminNoSuchServiceAccount. */
  update(accessKey: string, u: ServiceAccountUpdate): void {
    this.db.transaction(() => {
      const cur = this.get(accessKey)
      if (!cur) throw iamErr('XMinioAdminNoSuchServiceAccount')
      const next = { ...cur, ...u }
      this.db.prepare(`UPDATE service_accounts SET secret = ?, status = ?, session_policy = ?, name = ?, description = ?, expiration = ?
        WHERE access_key = ?`).run(next.secret, next.status, next.sessionPolicy, next.name, next.description,
        next.expiration?.getTime() ?? null, accessKey)
    })()
  }

  /** delete removes a service account. Throws IamError XMinioAdminNoSuchServiceAccount. */
  delete(accessKey: string): void {
    if (this.db.prepare('DELETE FROM service_accounts WHERE access_key = ?').run(accessKey).changes === 0) {
      throw iamErr('XMinioAdminNoSuchServiceAccount')
    }
  }
}
