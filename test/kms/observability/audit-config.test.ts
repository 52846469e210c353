import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/kms/config/load.js'
import { auditTargetOf } from '../../../src/kms/observability/kms.js'
import { testPki, type TestPki } from '../../helpers/pki.js'

let pki: TestPki
beforeAll(async () => {
  pki = await testPki()
})

function target(audit: string | undefined) {
  const yaml = `admin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\nkeystore:\n  memory: {}\n${audit === undefined ? '' : `log:\n  audit: ${audit}\n`}`
  return auditTargetOf(parseConfig(yaml, '/etc/keyhold/config.yml', {}))
}

describe('log.audit in the server config', () => {
  it("keeps KES's levels: on/info is stdout (the default), off/warn/error is off", () => {
    expect(target(undefined)).toEqual({ kind: 'stdout' })
    expect(target('on')).toEqual({ kind: 'stdout' })
    expect(target('INFO')).toEqual({ kind: 'stdout' })
    expect(target('off')).toEqual({ kind: 'off' })
    expect(target('error')).toEqual({ kind: 'off' })
  })

  it('takes a path (anything with a slash) as a chained audit file, relative to the config file', () => {
    expect(target('/var/log/keyhold/audit.log')).toEqual({ kind: 'file', path: '/var/log/keyhold/audit.log' })
    expect(target('./audit.log')).toEqual({ kind: 'file', path: join('/etc/keyhold', 'audit.log') })
  })

  it('rejects anything else', () => {
    expect(() => target('audit.log')).toThrow(/log\.audit|invalid/)
  })
})
