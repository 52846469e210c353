/**
 * `keystore.vault` parsing: KES's defaults, env references and `kesconf:` messages; and
 * connectVault against the stand-in.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/kms/config/load.js'
import { connectVault, parseVaultConfig } from '../../../src/kms/config/vault.js'
import { KeyNotFoundError } from '../../../src/kms/keystore/keystore.js'
import { silentLogger } from '../../../src/kms/observability/logger.js'
import { startKmsServer } from '../../../src/kms/server.js'
import { testPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { ROLE_ID, SECRET_ID, signal, startStandin } from './setup.js'

const approle = { approle: { id: 'role', secret: 'secret' } }

describe('parseVaultConfig', () => {
  it("fills in KES's defaults", () => {
    expect(parseVaultConfig({ endpoint: 'https://vault:8200/', ...approle })).toEqual({
      endpoint: 'https://vault:8200',
      engine: 'kv',
      version: 'v1',
      namespace: '',
      prefix: '',
      approle: { engine: 'approle', id: 'role', secret: 'secret' },
      tls: {},
      pingMs: 15_000,
      timeoutMs: 15_000,
      retries: 2,
      retryDelayMs: 1_000,
    })
  })

  it('reads a complete KES config', () => {
    const cfg = parseVaultConfig(
      parse(`
endpoint: https://127.0.0.1:8200
engine: secrets
version: v2
namespace: ns1
prefix: tenant-1
transit:
  key: kes
kubernetes:
  namespace: /
  engine: k8s
  role: kes
  jwt: some.jwt.value
  retry: 15s
tls:
  key: ./client.key
  cert: ./client.crt
  ca: /etc/ssl/vault
status:
  ping: 10s
timeout: 1m30s
retry:
  max: 0
  delay: 250ms
`),
    )
    expect(cfg).toMatchObject({
      engine: 'secrets',
      version: 'v2',
      namespace: 'ns1',
      prefix: 'tenant-1',
      transit: { engine: 'transit', key: 'kes' },
      kubernetes: { engine: 'k8s', role: 'kes', jwt: 'some.jwt.value', namespace: '' },
      tls: { key: './client.key', cert: './client.crt', ca: '/etc/ssl/vault' },
      pingMs: 10_000,
      timeoutMs: 90_000,
      retries: 0,
      retryDelayMs: 250,
    })
    expect(Object.isFrozen(cfg)).toBe(true)
  })

  it('replaces whole-scalar ${VAR} references from the environment', () => {
    process.env.KEYHOLD_TEST_SECRET_ID = 'from-env'
    const cfg = parseVaultConfig({ endpoint: 'https://v:8200', approle: { id: 'r', secret: ' ${KEYHOLD_TEST_SECRET_ID} ' } })
    expect(cfg.approle?.secret).toBe('from-env')
    expect(() => parseVaultConfig({ endpoint: '${KEYHOLD_TEST_UNSET_VAR}', ...approle })).toThrow(
      "kesconf: referenced env. variable 'KEYHOLD_TEST_UNSET_VAR' not found",
    )
  })

  const bad: Array<[string, unknown, string]> = [
    ['no endpoint', { ...approle }, 'kesconf: invalid vault keystore: no endpoint specified'],
    ['no auth', { endpoint: 'https://v' }, 'kesconf: invalid vault keystore: no authentication method specified'],
    ['two auths', { endpoint: 'https://v', ...approle, kubernetes: { jwt: 'x' } }, 'kesconf: invalid vault keystore: more than one authentication method specified'],
    ['no approle id', { endpoint: 'https://v', approle: { secret: 's' } }, 'kesconf: invalid vault keystore: invalid approle config: no approle ID specified'],
    ['no approle secret', { endpoint: 'https://v', approle: { id: 'i' } }, 'kesconf: invalid vault keystore: invalid approle config: no approle secret specified'],
    ['no jwt', { endpoint: 'https://v', kubernetes: { role: 'r' } }, 'kesconf: invalid vault keystore: invalid kubernetes config: no JWT specified'],
    ['missing jwt file', { endpoint: 'https://v', kubernetes: { role: 'r', jwt: '/nonexistent/jwt' } }, "kesconf: failed to read vault kubernetes JWT from '/nonexistent/jwt'"],
    ['transit without key', { endpoint: 'https://v', ...approle, transit: { engine: 't' } }, 'kesconf: invalid vault keystore: invalid transit config: no key name specified'],
    ['key without cert', { endpoint: 'https://v', ...approle, tls: { key: 'k' } }, 'kesconf: invalid vault keystore: invalid tls config: no TLS certificate provided'],
    ['cert without key', { endpoint: 'https://v', ...approle, tls: { cert: 'c' } }, 'kesconf: invalid vault keystore: invalid tls config: no TLS private key provided'],
    ['bad version', { endpoint: 'https://v', ...approle, version: 'v3' }, "kesconf: invalid vault keystore: invalid engine API version 'v3'"],
    ['bad ping', { endpoint: 'https://v', ...approle, status: { ping: 'soon' } }, "kesconf: invalid vault keystore: invalid status.ping duration 'soon'"],
    ['bad endpoint', { endpoint: 'vault:8200', ...approle }, "kesconf: invalid vault keystore: invalid endpoint 'vault:8200'"],
  ]
  it.each(bad)('rejects %s', (_label, raw, message) => {
    expect(() => parseVaultConfig(raw)).toThrow(message)
  })
})

describe('connectVault', () => {
  it('connects a parsed config to the stand-in over TLS and serves keys', async () => {
    const standin = await startStandin()
    const pki = await testPki()
    try {
      const cfg = parseVaultConfig({ endpoint: standin.url, approle: { id: ROLE_ID, secret: SECRET_ID }, tls: { ca: pki.ca.certFile } })
      const store = await connectVault(cfg, () => {})
      try {
        expect(store.toString()).toBe(`Hashicorp Vault: ${standin.url}`)
        await expect(store.get('nothing', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
        expect(standin.requests.some((r) => r.path === '/v1/kv/nothing')).toBe(true)
      } finally {
        await store.close()
      }
    } finally {
      await standin.close()
    }
  })

  it('refuses a Vault whose certificate the configured CA does not vouch for', async () => {
    const standin = await startStandin()
    try {
      const cfg = parseVaultConfig({ endpoint: standin.url, approle: { id: ROLE_ID, secret: SECRET_ID }, retry: { max: 0 } })
      await expect(connectVault(cfg, () => {})).rejects.toThrow(/certificate/)
    } finally {
      await standin.close()
    }
  })
})

describe('mutual TLS to Vault', () => {
  it('trusts every CA file in a tls.ca directory', async () => {
    const pki = await testPki()
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-vault-ca-'))
    writeFileSync(join(dir, 'other.pem'), pki.clients.app.certPem) // not the issuer: must not matter
    writeFileSync(join(dir, 'ca.pem'), pki.ca.certPem)
    const standin = await startStandin()
    try {
      const store = await connectVault(parseVaultConfig({ endpoint: standin.url, approle: { id: ROLE_ID, secret: SECRET_ID }, tls: { ca: dir } }), () => {})
      await expect(store.get('nothing', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      await store.close()
    } finally {
      await standin.close()
    }
  })

  it('presents tls.cert/tls.key when Vault demands a client certificate', async () => {
    const pki = await testPki()
    const standin = await startStandin({ tls: { cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.ca.certPem } })
    try {
      const base = { endpoint: standin.url, approle: { id: ROLE_ID, secret: SECRET_ID }, retry: { max: 0 } }
      const withCert = parseVaultConfig({ ...base, tls: { ca: pki.ca.certFile, cert: pki.clients.app.certFile, key: pki.clients.app.keyFile } })
      const store = await connectVault(withCert, () => {})
      await expect(store.get('nothing', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      await store.close()
      const without = parseVaultConfig({ ...base, tls: { ca: pki.ca.certFile } })
      await expect(connectVault(without, () => {})).rejects.toThrow()
    } finally {
      await standin.close()
    }
  })
})

describe('keystore.vault in a server config file', () => {
  it('starts a Keyhold server on the stand-in from YAML, with ${ENV} credentials (from the loader environment)', async () => {
    const standin = await startStandin()
    const pki = await testPki()
    const env = { ...process.env, KEYHOLD_TEST_VAULT_SECRET: SECRET_ID }
    const yaml = `
address: 127.0.0.1:0
admin:
  identity: ${pki.clients.admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
keystore:
  vault:
    endpoint: ${standin.url}
    engine: kv2
    version: v2
    prefix: from-yaml
    approle:
      id: ${ROLE_ID}
      secret: \${KEYHOLD_TEST_VAULT_SECRET}
    tls:
      ca: ${pki.ca.certFile}
    status:
      ping: 100ms
`
    const config = parseConfig(yaml, 'keyhold.yaml', env)
    expect(config.keystore).toMatchObject({ kind: 'vault', config: { engine: 'kv2', version: 'v2', pingMs: 100 } })
    const server = await startKmsServer(config, { log: silentLogger(), probeMs: 0 })
    try {
      const res = await send(server.url, pki, pki.clients.admin, 'POST', '/v1/key/create/yaml-key')
      expect(res.status).toBe(200)
      const mount = standin.mount('kv2')!
      expect(mount.type === 'kv' && mount.version === 2 && mount.secrets.has('from-yaml/yaml-key')).toBe(true)
    } finally {
      await server.close()
      await standin.close()
    }
  })
})
