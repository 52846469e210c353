/**
 * Policies: named allow and deny sets of API path patterns, and the identities they apply to.
 * Verification is deny first, then allow, and refusal by default (kms-go `Policy.Verify`).
 *
 * @module
 */
import { isValidName } from '../api/validate.js'
import { compilePattern, type PathMatcher } from './pattern.js'

/** The YAML shape of one policy (`policy.<name>` in the config or the policy file). */
export interface PolicyDefinition {
  allow?: readonly string[]
  deny?: readonly string[]
  identities?: readonly string[]
}

/** PolicyError: a policy set that cannot be loaded. The message starts with `kesconf:`. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(`kesconf: ${message}`)
    this.name = 'PolicyError'
  }
}

/** One compiled policy. */
export class Policy {
  readonly allowMatchers: readonly PathMatcher[]
  readonly denyMatchers: readonly PathMatcher[]

  constructor(
    readonly name: string,
    readonly allow: readonly string[],
    readonly deny: readonly string[],
    readonly identities: readonly string[],
  ) {
    const compile = (p: string) => {
      try {
        return compilePattern(p)
      } catch (err) {
        throw new PolicyError(`policy '${name}': ${(err as Error).message}`)
      }
    }
    this.allowMatchers = allow.map(compile)
    this.denyMatchers = deny.map(compile)
  }

  /**
   * matching returns every allow and deny pattern that matches `path`, with the same matchers
   * {@link verify} uses (policy explain shows them; verify stops at the first). Throws nothing.
   */
  matching(path: string): { allow: string[]; deny: string[] } {
    return {
      allow: this.allow.filter((_, i) => this.allowMatchers[i]!(path)),
      deny: this.deny.filter((_, i) => this.denyMatchers[i]!(path)),
    }
  }

  /** verify reports whether the policy grants `path`: no deny pattern matches and an allow pattern does. */
  verify(path: string): boolean {
    for (const m of this.denyMatchers) if (m(path)) return false
    for (const m of this.allowMatchers) if (m(path)) return true
    return false
  }
}

/** An immutable set of policies indexed by name and by identity. */
export class PolicySet {
  private constructor(
    private readonly byName: ReadonlyMap<string, Policy>,
    private readonly byIdentity: ReadonlyMap<string, Policy>,
  ) {}

  /** The empty set: every non-admin identity is refused. */
  static readonly EMPTY = new PolicySet(new Map(), new Map())

  /**
   * compile validates and compiles policy definitions. `admin` may not appear in any policy.
   * Throws PolicyError naming the policy for an invalid name, identity or pattern, for an identity
   * assigned twice, and for the admin identity inside a policy.
   */
  static compile(defs: Readonly<Record<string, PolicyDefinition>>, admin: string): PolicySet {
    const byName = new Map<string, Policy>()
    const byIdentity = new Map<string, Policy>()
    for (const [name, def] of Object.entries(defs)) {
      if (!isValidName(name)) throw new PolicyError(`invalid policy name '${name}'`)
      const identities = (def.identities ?? []).map((id) => id.trim()).filter((id) => id !== '')
      const policy = new Policy(name, [...(def.allow ?? [])], [...(def.deny ?? [])], identities)
      for (const [n, id] of identities.entries()) {
        // The value is not quoted: it may come from `${VAR}` (a secret of the server's environment, found by an
        // attack), and this error reaches the server log and the /v1/log/error stream.
        if (!isValidName(id)) throw new PolicyError(`policy '${name}': identity ${n + 1} is not a valid identity`)
        if (id === admin) throw new PolicyError(`policy '${name}': identity '${id}' is already admin`)
        const other = byIdentity.get(id)
        if (other !== undefined) {
          throw new PolicyError(`cannot assign policy '${name}' to '${id}': identity already has policy '${other.name}'`)
        }
        byIdentity.set(id, policy)
      }
      byName.set(name, policy)
    }
    return new PolicySet(byName, byIdentity)
  }

  /** policy returns the policy called `name`, if any. */
  policy(name: string): Policy | undefined {
    return this.byName.get(name)
  }

  /** policyOf returns the policy assigned to `identity`, if any. */
  policyOf(identity: string): Policy | undefined {
    return this.byIdentity.get(identity)
  }

  /** names returns the policy names, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort()
  }

  /** identities returns every identity assigned to a policy, sorted. */
  identities(): string[] {
    return [...this.byIdentity.keys()].sort()
  }
}
