import { describe, expect, it } from 'vitest'
import { parseHostPort } from '../../src/lib/host-port.js'

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:7373', { host: '127.0.0.1', port: 7373 }],
    ['kms.example:0', { host: 'kms.example', port: 0 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    [':9000', { host: '', port: 9000 }],
    ['h:65535', { host: 'h', port: 65535 }],
  ])('splits %j', (address, want) => expect(parseHostPort(address)).toEqual(want))

  it.each(['', 'nope', '7373', 'h:', 'h:65536', 'h:123456', '::1:80', 'a[b:1', 'a]b:1', '[::1]', 'h:-1', 'h:1x'])(
    'refuses %j',
    (address) => expect(parseHostPort(address)).toBeUndefined(),
  )
})
