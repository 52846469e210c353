/**
 * Users and groups in the IAM database. Synchronous; every change is one transaction.
 *
 * @module
 */
import type { IamDB } from './db.js'
import { iamErr } from './errors.js'
import type { GroupRecord, Status, UserRecord } from './store-types.js'

interface UserRow { access_key: string; secret: string; status: string; updated_at: number }
interface GroupRow { name: string; status: string; updated_at: number }

const toUser = (r: UserRow): UserRecord => ({
  accessKey: r.access_key, secret: r.secret, status: r.status as Status, updatedAt: new Date(r.updated_at),
})

/** UserStore reads and writes users, groups and memberships. */
export class UserStore {
  constructor(private readonly db: IamDB) {}

  /** getUser returns a user or undefined. Throws only on I/O errors. */
  getUser(accessKey: string): UserRecord | undefined {
    const row = this.db.prepare('SELECT * FROM users WHERE access_key = ?').get(accessKey) as UserRow | undefined
    return row && toUser(row)
  }

  /** listUsers returns all users sorted by access key. */
  listUsers(): UserRecord[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY access_key').all() as UserRow[]).map(toUser)
  }

  /** putUser creates or replaces a user's secret and status. Throws IamError if the key is a service account. */
  putUser(accessKey: string, secret: string, status: Status): void {
    this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM service_accounts WHERE access_key = ?').get(accessKey)) {
        throw iamErr('XMinioInvalidIAMCredentials', 'The access key is already used by a service account.')
      }
      this.db.prepare(`INSERT INTO users(access_key, secret, status, updated_at) VALUES(?, ?, ?, ?)
        ON CONFLICT(access_key) DO UPDATE SET secret = excluded.secret, status = excluded.status, updated_at = excluded.updated_at`)
        .run(accessKey, secret, status, Date.now())
    })()
  }

  /** setUserSecret replaces a user's (sealed) secret. Throws IamError XMinioAdminNoSuchUser. */
  setUserSecret(accessKey: string, secret: string): void {
    const r = this.db.prepare('UPDATE users SET secret = ?, updated_at = ? WHERE access_key = ?').run(secret, Date.now(), accessKey)
    if (r.changes === 0) throw iamErr('XMinioAdminNoSuchUser')
  }

  /** setUserStatus enables or disables a user. Throws IamError XMinioAdminNoSuchUser. */
  setUserStatus(accessKey: string, status: Status): void {
    const r = this.db.prepare('UPDATE users SET status = ?, updated_at = ? WHERE access_key = ?').run(status, Date.now(), accessKey)
    if (r.changes === 0) throw iamErr('XMinioAdminNoSuchUser')
  }

  /**
   * removeUser deletes a user with its memberships, policy mapping and service accounts, atomically.
   * Throws IamError XMinioAdminNoSuchUser.
   */
  removeUser(accessKey: string): void {
    this.db.transaction(() => {
      const r = this.db.prepare('DELETE FROM users WHERE access_key = ?').run(accessKey)
      if (r.changes === 0) throw iamErr('XMinioAdminNoSuchUser')
      this.db.prepare('DELETE FROM policy_mappings WHERE entity = ? AND is_group = 0').run(accessKey)
      this.db.prepare('DELETE FROM service_accounts WHERE parent = ?').run(accessKey)
    })()
  }

  /** groupsOf returns the groups a user is a member of, sorted. */
  groupsOf(accessKey: string): GroupRecord[] {
    const names = this.db.prepare('SELECT group_name FROM group_members WHERE access_key = ? ORDER BY group_name')
      .pluck().all(accessKey) as string[]
    return names.map((n) => this.getGroup(n)).filter((g): g is GroupRecord => g !== undefined)
  }

  /** getGroup returns a group with its members, or undefined. */
  getGroup(name: string): GroupRecord | undefined {
    const row = this.db.prepare('SELECT * FROM groups WHERE name = ?').get(name) as GroupRow | undefined
    if (!row) return undefined
    const members = this.db.prepare('SELECT access_key FROM group_members WHERE group_name = ? ORDER BY access_key')
      .pluck().all(name) as string[]
    return { name: row.name, status: row.status as Status, members, updatedAt: new Date(row.updated_at) }
  }

  /** listGroups returns the group names, sorted. */
  listGroups(): string[] {
    return this.db.prepare('SELECT name FROM groups ORDER BY name').pluck().all() as string[]
  }

  /**
   * addMembers creates the group if needed and adds users to it, atomically. Throws IamError
   * XMinioAdminNoSuchUser naming the first unknown user (nothing is written then).
   */
  addMembers(group: string, members: string[], status: Status = 'enabled'): void {
    this.db.transaction(() => {
      for (const m of members) {
        if (!this.getUser(m)) throw iamErr('XMinioAdminNoSuchUser', `The specified user does not exist: ${m}`)
      }
      this.db.prepare('INSERT INTO groups(name, status, updated_at) VALUES(?, ?, ?) ON CONFLICT(name) DO UPDATE SET updated_at = excluded.updated_at')
        .run(group, status, Date.now())
      const add = this.db.prepare('INSERT OR IGNORE INTO group_members(group_name, access_key) VALUES(?, ?)')
      for (const m of members) add.run(group, m)
    })()
  }

  /**
   * removeMembers removes users from a group; with no members it deletes the (empty) group and its
   * policy mapping. Throws IamError XMinioAdminNoSuchGroup, XMinioAdminGroupNotEmpty, XMinioAdminNoSuchUser.
   */
  removeMembers(group: string, members: string[]): void {
    this.db.transaction(() => {
      const g = this.getGroup(group)
      if (!g) throw iamErr('XMinioAdminNoSuchGroup')
      if (members.length === 0) {
        if (g.members.length > 0) throw iamErr('XMinioAdminGroupNotEmpty')
        this.db.prepare('DELETE FROM groups WHERE name = ?').run(group)
        this.db.prepare('DELETE FROM policy_mappings WHERE entity = ? AND is_group = 1').run(group)
        return
      }
      for (const m of members) {
        if (!this.getUser(m)) throw iamErr('XMinioAdminNoSuchUser', `The specified user does not exist: ${m}`)
      }
      const del = this.db.prepare('DELETE FROM group_members WHERE group_name = ? AND access_key = ?')
      for (const m of members) del.run(group, m)
      this.db.prepare('UPDATE groups SET updated_at = ? WHERE name = ?').run(Date.now(), group)
    })()
  }

  /** setGroupStatus enables or disables a group. Throws IamError XMinioAdminNoSuchGroup. */
  setGroupStatus(group: string, status: Status): void {
    const r = this.db.prepare('UPDATE groups SET status = ?, updated_at = ? WHERE name = ?').run(status, Date.now(), group)
    if (r.changes === 0) throw iamErr('XMinioAdminNoSuchGroup')
  }
}
