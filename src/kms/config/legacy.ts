/**
 * Helpful refusals for config shapes that KES accepted but Keyhold does not: old field names and
 * keystores we do not implement. Without this the strict schema would only say "unknown field".
 *
 * @module
 */
import { ConfigError, lineAt, type YamlSource } from './source.js'

const KES_KEYSTORES = ['aws', 'azure', 'gcp', 'gemalto', 'fortanix', 'entrust', 'kes']

/** checkLegacy throws ConfigError (with the line) for a known legacy or unsupported setting. */
export function checkLegacy(src: YamlSource, raw: unknown): void {
  if (raw === null || typeof raw !== 'object') return
  const top = raw as Record<string, unknown>
  const at = (...path: string[]) => `${src.file}:${lineAt(src, path)}`
  if ('root' in top) {
    throw new ConfigError(`kesconf: ${at('root')}: 'root' was renamed to 'admin.identity' (KES v0.16): write 'admin:\\n  identity: <id>'`)
  }
  const policy = top.policy
  if (policy !== null && typeof policy === 'object') {
    for (const [name, p] of Object.entries(policy as Record<string, unknown>)) {
      if (p !== null && typeof p === 'object' && 'paths' in p) {
        throw new ConfigError(`kesconf: ${at('policy', name, 'paths')}: policy.${name}.paths is the KES v0.14 form: rename it to 'allow'`)
      }
    }
  }
  const keystore = top.keystore
  if (keystore !== null && typeof keystore === 'object') {
    for (const kind of Object.keys(keystore)) {
      if (KES_KEYSTORES.includes(kind)) {
        throw new ConfigError(`kesconf: ${at('keystore', kind)}: the '${kind}' keystore is not supported by Keyhold (supported: fs, vault, etcd, memory)`)
      }
    }
  }
}
