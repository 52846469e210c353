/**
 * The IAM system of keyhold-s3: users, groups, policies and their attachments over the SQLite
 * store, with secrets sealed at rest and cached unsealed in memory (as MinIO holds IAM in memory).
 * Service accounts live in service-accounts.ts, authentication and authorization in authorizer.ts.
 *
 * @module
 */
import { openIamDatabase, type IamDB } from './db.js'
import { iamErr } from './errors.js'
import { MAX_POLICY_SIZE, MalformedPolicyError, parsePolicy, policyToString, type Policy } from './policy/index.js'
import { PolicyStore, splitNames } from './policy-store.js'
import { ServiceAccountStore } from './sa-store.js'
import { plainSealer, type SecretSealer } from './secrets.js'
import type { Status } from './store-types.js'
import { UserStore } from './user-store.js'
import { validateAccessKey, validateEntityName, validateSecretKey } from './validate.js'

/** Options of {@link Iam}. */
export interface IamOptions {
  /** Directory holding the IAM database (the server's data directory). */
  dataDir: string
  rootUser: string
  rootPassword: string
  /** Seals secrets at rest; default: none (`plain:`). */
  sealer?: SecretSealer
}

/** Iam owns the IAM database. All mutating methods are atomic; they throw IamError for bad input. */
export class Iam {
  readonly db: IamDB
  readonly users: UserStore
  readonly policies: PolicyStore
  readonly serviceAccounts: ServiceAccountStore
  readonly rootUser: string
  readonly rootPassword: string
  private readonly sealer: SecretSealer
  // access key + sealed string → secret: a changed secret never hits a stale entry, and a sealed
  // string copied to another access key is never answered from the cache.
  private readonly secretCache = new Map<string, string>()
  private readonly parsedPolicies = new Map<string, { document: string; policy: Policy }>()

  /** Opens (creating) the IAM database. Throws on I/O errors. */
  constructor(options: IamOptions) {
    this.db = openIamDatabase(options.dataDir)
    this.users = new UserStore(this.db)
    this.policies = new PolicyStore(this.db)
    this.serviceAccounts = new ServiceAccountStore(this.db)
    this.rootUser = options.rootUser
    this.rootPassword = options.rootPassword
    this.sealer = options.sealer ?? plainSealer
  }

  /** close closes the database. */
  close(): void {
    this.db.close()
  }

  /** sealSecret seals a secret for storage. Rejects when the KMS fails. */
  async sealSecret(secret: string, accessKey: string): Promise<string> {
    const sealed = await this.sealer.seal(secret, accessKey)
    this.secretCache.set(`${accessKey}\0${sealed}`, secret)
    return sealed
  }

  /** unsealSecret returns the secret of a stored (sealed) string. Rejects when the KMS fails. */
  async unsealSecret(sealed: string, accessKey: string): Promise<string> {
    const cacheKey = `${accessKey}\0${sealed}`
    const hit = this.secretCache.get(cacheKey)
    if (hit !== undefined) return hit
    const secret = await this.sealer.unseal(sealed, accessKey)
    if (this.secretCache.size > 100_000) this.secretCache.clear()
    this.secretCache.set(cacheKey, secret)
    return secret
  }

  /**
   * resealPlainSecrets seals every secret stored unsealed (written before a KMS was configured) with
   * the current sealer, one atomic update per credential; returns how many were resealed. Rejects
   * when the KMS fails (already resealed ones stay sealed).
   */
  async resealPlainSecrets(): Promise<number> {
    let n = 0
    for (const u of this.users.listUsers()) {
      if (!u.secret.startsWith('plain:')) continue
      const sealed = await this.sealSecret(u.secret.slice('plain:'.length), u.accessKey)
      n += this.db.prepare('UPDATE users SET secret = ? WHERE access_key = ? AND secret = ?').run(sealed, u.accessKey, u.secret).changes
    }
    for (const sa of this.serviceAccounts.list()) {
      if (!sa.secret.startsWith('plain:')) continue
      const sealed = await this.sealSecret(sa.secret.slice('plain:'.length), sa.accessKey)
      n += this.db.prepare('UPDATE service_accounts SET secret = ? WHERE access_key = ? AND secret = ?').run(sealed, sa.accessKey, sa.secret).changes
    }
    return n
  }

  /**
   * addUser creates or updates an internal user, optionally replacing its policies. Throws IamError
   * for an invalid key or secret, the root key, a service account's key, or an unknown policy.
   */
  async addUser(accessKey: string, secretKey: unknown, status: Status = 'enabled', policies?: string): Promise<void> {
    validateAccessKey(accessKey, 128)
    validateSecretKey(secretKey)
    if (accessKey === this.rootUser) throw iamErr('XMinioInvalidIAMCredentials')
    const names = policies === undefined ? undefined : splitNames(policies)
    for (const n of names ?? []) if (!this.policies.getPolicy(n)) throw iamErr('XMinioAdminNoSuchPolicy', `The canned policy does not exist: ${n}`)
    const sealed = await this.sealSecret(secretKey, accessKey)
    this.db.transaction(() => {
      this.users.putUser(accessKey, sealed, status)
      if (names !== undefined && names.length > 0) this.policies.setMapping(accessKey, false, names)
    })()
  }

  /**
   * changeSecret replaces an existing user's secret and nothing else (status, policies and groups
   * stay). Throws IamError XMinioAdminInvalidSecretKey or XMinioAdminNoSuchUser.
   */
  async changeSecret(accessKey: string, secretKey: unknown): Promise<void> {
    validateSecretKey(secretKey)
    this.requireUser(accessKey)
    this.users.setUserSecret(accessKey, await this.sealSecret(secretKey, accessKey))
  }

  /** requireUser returns a user or throws IamError XMinioAdminNoSuchUser. */
  requireUser(accessKey: string) {
    const u = this.users.getUser(accessKey)
    if (!u) throw iamErr('XMinioAdminNoSuchUser')
    return u
  }

  /**
   * addPolicy validates and stores a custom policy document. Throws IamError MalformedPolicy (with
   * the parser's precise message), PolicyTooLarge, or XMinioAdminInvalidArgument for a bad name.
   */
  addPolicy(name: string, body: Buffer): void {
    validateEntityName(name, 'policy')
    if (body.length === 0) throw iamErr('MalformedPolicy', 'The policy document is empty.')
    if (body.length > MAX_POLICY_SIZE) throw iamErr('PolicyTooLarge')
    let policy: Policy
    try {
      policy = parsePolicy(body, { knownConditionKeysOnly: true })
    } catch (err) {
      if (err instanceof MalformedPolicyError) throw iamErr('MalformedPolicy', err.message)
      throw err
    }
    if (policy.version === '') throw iamErr('MalformedPolicy', 'invalid version \'\'')
    this.policies.putPolicy(name, policyToString(policy))
  }

  /** policy returns the parsed policy of a name, or undefined. Never throws for stored documents. */
  policy(name: string): Policy | undefined {
    const rec = this.policies.getPolicy(name)
    if (!rec) return undefined
    const cached = this.parsedPolicies.get(name)
    if (cached && cached.document === rec.document) return cached.policy
    const policy = parsePolicy(rec.document)
    this.parsedPolicies.set(name, { document: rec.document, policy })
    return policy
  }

  /**
   * effectivePolicies returns the policies a user acts under: its own ∪ its enabled groups'.
   * A disabled or unknown user gets none.
   */
  effectivePolicies(accessKey: string): { names: string[]; policies: Policy[] } {
    const user = this.users.getUser(accessKey)
    if (!user || user.status !== 'enabled') return { names: [], policies: [] }
    const names = new Set(this.policies.mappedPolicies(accessKey, false))
    for (const g of this.users.groupsOf(accessKey)) {
      if (g.status !== 'enabled') continue
      for (const n of this.policies.mappedPolicies(g.name, true)) names.add(n)
    }
    const list = [...names]
    return { names: list, policies: list.map((n) => this.policy(n)).filter((p): p is Policy => p !== undefined) }
  }

  /**
   * attach adds policies to a user or group and returns the ones newly attached. Throws IamError
   * XMinioAdminNoSuchUser/Group/Policy, or XMinioAdminPolicyChangeAlreadyApplied when all are attached.
   */
  attach(names: string[], entity: string, isGroup: boolean): string[] {
    return this.db.transaction(() => {
      this.requireEntity(entity, isGroup)
      const current = this.policies.mappedPolicies(entity, isGroup)
      const added = names.filter((n) => !current.includes(n))
      if (added.length === 0) throw iamErr('XMinioAdminPolicyChangeAlreadyApplied')
      this.policies.setMapping(entity, isGroup, [...current, ...added])
      return added
    })()
  }

  /** detach removes policies from a user or group and returns the ones removed. Throws like {@link attach}. */
  detach(names: string[], entity: string, isGroup: boolean): string[] {
    return this.db.transaction(() => {
      this.requireEntity(entity, isGroup)
      for (const n of names) if (!this.policies.getPolicy(n)) throw iamErr('XMinioAdminNoSuchPolicy', `The canned policy does not exist: ${n}`)
      const current = this.policies.mappedPolicies(entity, isGroup)
      const removed = names.filter((n) => current.includes(n))
      if (removed.length === 0) throw iamErr('XMinioAdminPolicyChangeAlreadyApplied')
      this.policies.setMapping(entity, isGroup, current.filter((n) => !removed.includes(n)))
      return removed
    })()
  }

  /** setPolicyMapping replaces the policies of a user or group. Throws IamError like {@link attach}. */
  setPolicyMapping(names: string[], entity: string, isGroup: boolean): void {
    this.db.transaction(() => {
      this.requireEntity(entity, isGroup)
      this.policies.setMapping(entity, isGroup, names)
    })()
  }

  private requireEntity(entity: string, isGroup: boolean): void {
    if (isGroup ? !this.users.getGroup(entity) : !this.users.getUser(entity)) {
      throw iamErr(isGroup ? 'XMinioAdminNoSuchGroup' : 'XMinioAdminNoSuchUser')
    }
  }
}
