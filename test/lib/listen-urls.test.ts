import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { listenUrls } from '../../src/lib/listen-urls.js'

const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean, scopeid = 0) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid } : {}) }) as NetworkInterfaceInfo
const machine = {
  eth0: [iface('10.1.2.3', 'IPv4', false), iface('fd00::5', 'IPv6', false), iface('fe80::1', 'IPv6', false, 2)],
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
}

describe('listenUrls', () => {
  it('names the host a listener is bound to', () => {
    expect(listenUrls('127.0.0.1', 7373, machine)).toEqual(['https://127.0.0.1:7373'])
    expect(listenUrls('[::1]', 7373, machine)).toEqual(['https://[::1]:7373'])
    expect(listenUrls('kms.example', 7373, machine)).toEqual(['https://kms.example:7373'])
  })

  it('lists every interface address for a wildcard, loopback first, without link-local scopes', () => {
    expect(listenUrls('0.0.0.0', 7373, machine)).toEqual(['https://127.0.0.1:7373', 'https://10.1.2.3:7373'])
    expect(listenUrls('', 7373, machine)).toEqual(['https://127.0.0.1:7373', 'https://[::1]:7373', 'https://10.1.2.3:7373', 'https://[fd00::5]:7373'])
    expect(listenUrls('[::]', 7373, machine)).toHaveLength(4)
  })
})
