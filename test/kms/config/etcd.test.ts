/**
 * `keystore.etcd` in the server config: fields, defaults, `${VAR}` substitution, relative TLS
 * paths, and `kesconf:` errors that name the field and its line.
 */
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/kms/config/load.js'
import { testPki } from '../../helpers/pki.js'

const pki = await testPki()
const FILE = '/etc/keyhold/config.yml'
const base = (etcd: string) =>
  `admin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\nkeystore:\n  etcd:\n${etcd}\n`

const fail = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, FILE, env)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('config was accepted')
}

describe('keystore.etcd', () => {
  it('reads every field, substitutes ${VAR} and resolves TLS paths against the config file', () => {
    const text = base([
      '    endpoints:',
      '      - https://etcd-1.example.net:2379/',
      '      - ${ETCD_2}',
      '    prefix: ${PREFIX}',
      '    tls:',
      '      ca: ca.pem',
      '      cert: /abs/client.pem',
      '      key: client.key',
      '    auth:',
      '      username: keyhold',
      '      password: ${ETCD_PASSWORD}',
      '    timeout: 3s',
    ].join('\n'))
    const config = parseConfig(text, FILE, { ETCD_2: 'https://10.0.0.2:2379', PREFIX: 'kms/', ETCD_PASSWORD: 's3cret' })
    expect(config.keystore).toEqual({
      kind: 'etcd',
      config: {
        endpoints: ['https://etcd-1.example.net:2379', 'https://10.0.0.2:2379'],
        prefix: 'kms/',
        tls: { ca: '/etc/keyhold/ca.pem', cert: '/abs/client.pem', key: '/etc/keyhold/client.key' },
        auth: { username: 'keyhold', password: 's3cret' },
        timeoutMs: 3000,
        attemptTimeoutMs: 2000,
      },
    })
  })

  it('defaults the prefix, the timeouts, and needs neither TLS nor auth', () => {
    const config = parseConfig(base('    endpoints: [http://127.0.0.1:2379]'), FILE, {})
    expect(config.keystore).toEqual({
      kind: 'etcd',
      config: { endpoints: ['http://127.0.0.1:2379'], prefix: 'keyhold/', tls: {}, timeoutMs: 10_000, attemptTimeoutMs: 2000 },
    })
  })

  it.each([
    ['    prefix: x/', 'kesconf: /etc/keyhold/config.yml:8: keystore.etcd.endpoints: missing required field'],
    ['    endpoints: []', 'kesconf: /etc/keyhold/config.yml:8: keystore.etcd.endpoints: at least one endpoint is needed'],
    ['    endpoints:\n      - https://a:2379\n      - etcd-2:2379', "kesconf: /etc/keyhold/config.yml:10: keystore.etcd.endpoints.1: invalid endpoint 'etcd-2:2379'"],
    ['    endpoints: [https://a:2379/v3]', "invalid endpoint 'https://a:2379/v3'"],
    ['    endpoints: [https://a:2379]\n    prefix: ""', 'kesconf: /etc/keyhold/config.yml:9: keystore.etcd.prefix: must not be empty'],
    ['    endpoints: [https://a:2379]\n    tls:\n      cert: c.pem', "kesconf: /etc/keyhold/config.yml:10: keystore.etcd.tls.cert: a client certificate needs its 'key'"],
    ['    endpoints: [https://a:2379]\n    tls:\n      key: k.pem', "keystore.etcd.tls.key: a client key needs its 'cert'"],
    ['    endpoints: [https://a:2379]\n    auth:\n      username: u', 'kesconf: /etc/keyhold/config.yml:10: keystore.etcd.auth.password: missing required field'],
    ['    endpoints: [https://a:2379]\n    timeout: soon', "kesconf: /etc/keyhold/config.yml:9: keystore.etcd.timeout: invalid duration 'soon'"],
    ['    endpoints: [https://a:2379]\n    endpoint: https://b:2379', "kesconf: /etc/keyhold/config.yml:9: keystore.etcd.endpoint: unknown field 'endpoint'"],
  ])('refuses %j', (section, message) => {
    expect(fail(base(section))).toContain(message)
  })

  it('names an unset variable and its line', () => {
    expect(fail(base('    endpoints: [https://a:2379]\n    auth:\n      username: u\n      password: ${NOPE}'))).toBe(
      "kesconf: /etc/keyhold/config.yml:11: referenced env. variable 'NOPE' in line '11' not found",
    )
  })

  it('is one keystore among others', () => {
    expect(fail(base('    endpoints: [https://a:2379]\n  memory: {}'))).toBe('kesconf: more than one keystore specified: memory, etcd')
  })
})
