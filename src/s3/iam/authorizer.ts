/**
 * keyhold-s3's CredentialProvider and Authorizer backed by the IAM database, following MinIO's
 * request path: root is the owner; users act under their own and their enabled groups' policies;
 * service accounts under their parent's, intersected with their session policy; anonymous requests
 * under the bucket policy alone (signed requests are judged by IAM alone).
 *
 * @module
 */
import type { AuthzRequest, Authorizer, Credential, CredentialProvider, Principal } from '../extensions.js'
import type { Iam } from './iam.js'
import { isAllowedBy, parsePolicy, type Policy, type PolicyArgs } from './policy/index.js'
import { isExpired } from './service-accounts.js'

/** Where the authorizer finds a bucket's policy document (JSON), if any. */
export type BucketPolicySource = (bucket: string) => string | undefined

/** Claims a service account's principal carries. */
interface SaClaims {
  parent: string
  saPolicy: 'inherited-policy' | 'embedded-policy'
}

/** IamAccess implements CredentialProvider and Authorizer over an {@link Iam}. */
export class IamAccess implements CredentialProvider, Authorizer {
  private bucketPolicySource: BucketPolicySource | undefined
  private readonly bucketPolicyCache = new Map<string, { text: string; policy: Policy | undefined }>()

  constructor(readonly iam: Iam) {}

  /** useBucketPolicies tells the authorizer where bucket policies live (the core's bucket config). */
  useBucketPolicies(source: BucketPolicySource): void {
    this.bucketPolicySource = source
  }

  /**
   * lookup returns the credential behind an access key: root, a user (disabled flagged), or a live
   * service account (disabled flagged; expired = unknown). Rejects only when a secret cannot be unsealed.
   */
  async lookup(accessKey: string): Promise<Credential | undefined> {
    const iam = this.iam
    if (accessKey === iam.rootUser) {
      return { accessKey, secretKey: iam.rootPassword, principal: { kind: 'root', accessKey } }
    }
    const user = iam.users.getUser(accessKey)
    if (user) {
      const groups = iam.users.groupsOf(accessKey).map((g) => g.name)
      return {
        accessKey, secretKey: await iam.unsealSecret(user.secret, accessKey),
        principal: { kind: 'user', accessKey, groups }, disabled: user.status !== 'enabled',
      }
    }
    const sa = iam.serviceAccounts.get(accessKey)
    if (!sa || isExpired(sa)) return undefined
    const claims: SaClaims = { parent: sa.parent, saPolicy: sa.sessionPolicy === null ? 'inherited-policy' : 'embedded-policy' }
    const principal: Principal = {
      kind: 'service-account', accessKey, parentUser: sa.parent,
      groups: sa.parent === iam.rootUser ? [] : iam.users.groupsOf(sa.parent).map((g) => g.name),
      ...(sa.sessionPolicy !== null ? { sessionPolicy: JSON.parse(sa.sessionPolicy) as unknown } : {}),
      claims: claims as unknown as Record<string, unknown>,
    }
    // A disabled or removed parent disables its service accounts: they act for it (found by an attack: they
    // still managed their siblings through the self-service routes).
    const parent = sa.parent === iam.rootUser ? undefined : iam.users.getUser(sa.parent)
    const parentOff = sa.parent !== iam.rootUser && (parent === undefined || parent.status !== 'enabled')
    return { accessKey, secretKey: await iam.unsealSecret(sa.secret, accessKey), principal, disabled: sa.status !== 'on' || parentOff }
  }

  /** authorize answers one authorization question (see {@link isAllowed}). Never rejects. */
  authorize(req: AuthzRequest): Promise<boolean> {
    const args: PolicyArgs = {
      action: req.action, ...(req.bucket !== undefined ? { bucket: req.bucket } : {}),
      ...(req.key !== undefined ? { object: req.key } : {}), conditions: req.conditions,
    }
    let ok = this.isAllowed(req.principal, args)
    // MinIO: ListObjectVersions falls back to s3:ListBucket.
    if (!ok && req.action === 's3:ListBucketVersions') ok = this.isAllowed(req.principal, { ...args, action: 's3:ListBucket' })
    // MinIO: deleting a named version for good is refused when a policy denies s3:DeleteObjectVersion, even
    // though s3:DeleteObject is allowed (a Deny only: no policy needs to grant it separately).
    if (ok && req.action === 's3:DeleteObject' && req.versionId !== undefined && req.principal !== null) {
      ok = this.isAllowed(req.principal, { ...args, action: 's3:DeleteObjectVersion', denyOnly: true })
    }
    return Promise.resolve(ok)
  }

  /** isAllowed evaluates an action for a principal (null = anonymous). Never throws. */
  isAllowed(principal: Principal | null, args: PolicyArgs): boolean {
    const iam = this.iam
    if (principal === null) return this.anonymousAllowed(args)
    if (principal.kind === 'root') {
      return principal.accessKey === iam.rootUser && isAllowedBy([], { ...args, isOwner: true })
    }
    if (principal.kind === 'user') {
      const user = iam.users.getUser(principal.accessKey)
      if (!user || user.status !== 'enabled') return false
      const { policies } = iam.effectivePolicies(principal.accessKey)
      // As MinIO (IAMSys.IsAllowed): a user without any policy is refused everything, even a DenyOnly
      // question about its own account; only the owner acts without a policy.
      if (policies.length === 0) return false
      return isAllowedBy(policies, withUser(args, principal.accessKey, principal.groups))
    }
    // Service account: re-read the stored record so a disable, edit or delete takes effect at once.
    const sa = iam.serviceAccounts.get(principal.accessKey)
    if (!sa || sa.status !== 'on' || isExpired(sa)) return false
    if ((principal.claims as unknown as SaClaims | undefined)?.parent !== sa.parent) return false
    const userArgs = withUser(args, sa.parent, principal.groups)
    let parentAllowed: boolean
    if (sa.parent === iam.rootUser) {
      parentAllowed = isAllowedBy([], { ...userArgs, isOwner: true })
    } else {
      const { policies } = iam.effectivePolicies(sa.parent)
      parentAllowed = policies.length > 0 && isAllowedBy(policies, userArgs)
    }
    if (!parentAllowed || sa.sessionPolicy === null) return parentAllowed
    // A session policy must allow the action outright, even for DenyOnly questions about the account's
    // own parent: otherwise a restricted account could mint an unrestricted sibling (MinIO #21642).
    return isAllowedBy([parsePolicy(sa.sessionPolicy)], { ...userArgs, isOwner: false, denyOnly: false })
  }

  private anonymousAllowed(args: PolicyArgs): boolean {
    if (args.bucket === undefined || args.bucket === '' || !this.bucketPolicySource) return false
    const text = this.bucketPolicySource(args.bucket)
    if (text === undefined) return false
    let cached = this.bucketPolicyCache.get(args.bucket)
    if (!cached || cached.text !== text) {
      let policy: Policy | undefined
      try {
        policy = parsePolicy(text, { bucket: args.bucket })
      } catch {
        policy = undefined // a stored policy was validated on PUT; never grant on a parse failure
      }
      cached = { text, policy }
      if (this.bucketPolicyCache.size > 10_000) this.bucketPolicyCache.clear()
      this.bucketPolicyCache.set(args.bucket, cached)
    }
    return cached.policy !== undefined && isAllowedBy([cached.policy], { ...args, isOwner: false }, '*')
  }
}

/** Adds aws:username / aws:userid / aws:groups as MinIO feeds them (a service account acts as its parent). */
function withUser(args: PolicyArgs, user: string, groups: string[] | undefined): PolicyArgs {
  return {
    ...args,
    conditions: { ...args.conditions, 'aws:username': [user], 'aws:userid': [user], ...(groups?.length ? { 'aws:groups': groups } : {}) },
  }
}
