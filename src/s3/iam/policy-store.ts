/**
 * Custom policies and policy mappings (user or group → comma-separated policy names) in the IAM
 * database. Canned policies are built in and never stored.
 *
 * @module
 */
import type { IamDB } from './db.js'
import { iamErr } from './errors.js'
import { CANNED_POLICY_TEXT } from './policy/index.js'
import type { PolicyRecord } from './store-types.js'

interface PolicyRow { name: string; document: string; created_at: number; updated_at: number }

const BOOT = new Date(0)

/** PolicyStore reads and writes policies and their attachments. */
export class PolicyStore {
  constructor(private readonly db: IamDB) {}

  /** getPolicy returns a canned or custom policy, or undefined. */
  getPolicy(name: string): PolicyRecord | undefined {
    const canned = CANNED_POLICY_TEXT[name]
    if (canned !== undefined && Object.hasOwn(CANNED_POLICY_TEXT, name)) return { name, document: canned, createdAt: BOOT, updatedAt: BOOT }
    const row = this.db.prepare('SELECT * FROM policies WHERE name = ?').get(name) as PolicyRow | undefined
    return row && { name, document: row.document, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) }
  }

  /** listPolicies returns all policies (canned first, then custom by name). */
  listPolicies(): PolicyRecord[] {
    const custom = (this.db.prepare('SELECT * FROM policies ORDER BY name').all() as PolicyRow[])
      .map((r) => ({ name: r.name, document: r.document, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) }))
    return [...Object.keys(CANNED_POLICY_TEXT).map((n) => this.getPolicy(n)!), ...custom]
  }

  /** putPolicy creates or replaces a custom policy. Throws IamError for a canned policy's name. */
  putPolicy(name: string, document: string): void {
    if (Object.hasOwn(CANNED_POLICY_TEXT, name)) throw iamErr('XMinioIAMActionNotAllowed', `The canned policy '${name}' is built in and cannot be changed.`)
    const now = Date.now()
    this.db.prepare(`INSERT INTO policies(name, document, created_at, updated_at) VALUES(?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`).run(name, document, now, now)
  }

  /**
   * deletePolicy removes a custom policy and detaches it from every user and group, atomically.
   * Throws IamError XMinioAdminNoSuchPolicy, or XMinioIAMActionNotAllowed for a canned one.
   */
  deletePolicy(name: string): void {
    if (Object.hasOwn(CANNED_POLICY_TEXT, name)) throw iamErr('XMinioIAMActionNotAllowed', `The canned policy '${name}' is built in and cannot be removed.`)
    this.db.transaction(() => {
      if (this.db.prepare('DELETE FROM policies WHERE name = ?').run(name).changes === 0) throw iamErr('XMinioAdminNoSuchPolicy')
      const rows = this.db.prepare('SELECT entity, is_group, policies FROM policy_mappings').all() as Array<{ entity: string; is_group: number; policies: string }>
      for (const r of rows) {
        const names = splitNames(r.policies)
        if (names.includes(name)) this.writeMapping(r.entity, r.is_group === 1, names.filter((n) => n !== name))
      }
    })()
  }

  /** mappedPolicies returns the policy names attached to a user or group. */
  mappedPolicies(entity: string, isGroup: boolean): string[] {
    const v = this.db.prepare('SELECT policies FROM policy_mappings WHERE entity = ? AND is_group = ?').pluck().get(entity, isGroup ? 1 : 0) as string | undefined
    return v === undefined ? [] : splitNames(v)
  }

  /** mappingUpdatedAt returns when a mapping last changed, or undefined. */
  mappingUpdatedAt(entity: string, isGroup: boolean): Date | undefined {
    const v = this.db.prepare('SELECT updated_at FROM policy_mappings WHERE entity = ? AND is_group = ?').pluck().get(entity, isGroup ? 1 : 0) as number | undefined
    return v === undefined ? undefined : new Date(v)
  }

  /** listMappings returns every mapping. */
  listMappings(): Array<{ entity: string; isGroup: boolean; policies: string[] }> {
    const rows = this.db.prepare('SELECT entity, is_group, policies FROM policy_mappings ORDER BY entity').all() as Array<{ entity: string; is_group: number; policies: string }>
    return rows.map((r) => ({ entity: r.entity, isGroup: r.is_group === 1, policies: splitNames(r.policies) }))
  }

  /**
   * setMapping replaces the policies of a user or group (an empty list removes the mapping). Throws
   * IamError XMinioAdminNoSuchPolicy naming the first unknown policy; nothing is written then.
   */
  setMapping(entity: string, isGroup: boolean, names: string[]): void {
    for (const n of names) if (!this.getPolicy(n)) throw iamErr('XMinioAdminNoSuchPolicy', `The canned policy does not exist: ${n}`)
    this.writeMapping(entity, isGroup, names)
  }

  private writeMapping(entity: string, isGroup: boolean, names: string[]): void {
    if (names.length === 0) {
      this.db.prepare('DELETE FROM policy_mappings WHERE entity = ? AND is_group = ?').run(entity, isGroup ? 1 : 0)
      return
    }
    this.db.prepare(`INSERT INTO policy_mappings(entity, is_group, policies, updated_at) VALUES(?, ?, ?, ?)
      ON CONFLICT(entity, is_group) DO UPDATE SET policies = excluded.policies, updated_at = excluded.updated_at`)
      .run(entity, isGroup ? 1 : 0, [...new Set(names)].join(','), Date.now())
  }
}

/** splitNames splits a comma-separated policy list, trimming and dropping empty names. Never throws. */
export function splitNames(list: string): string[] {
  return [...new Set(list.split(',').map((s) => s.trim()).filter((s) => s !== ''))]
}
