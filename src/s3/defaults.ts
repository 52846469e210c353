/**
 * The default hooks: root credentials only, and an authorizer that allows root and denies everyone else.
 *
 * @module
 */
import type { Authorizer, CredentialProvider } from './extensions.js'

/** rootCredentials is a provider that knows only the root user. */
export function rootCredentials(user: string, password: string): CredentialProvider {
  return {
    lookup: (accessKey) => Promise.resolve(accessKey === user
      ? { accessKey, secretKey: password, principal: { kind: 'root', accessKey } }
      : undefined),
  }
}

/** rootOnlyAuthorizer allows the root principal everything and denies everyone else (anonymous included). */
export const rootOnlyAuthorizer: Authorizer = {
  authorize: (req) => Promise.resolve(req.principal?.kind === 'root'),
}
