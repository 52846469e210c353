import { describe, expect, it } from 'vitest'
import { EndpointPool, isLocalhost, parseEndpoint } from '../../src/kes-client/endpoints.js'

describe('parseEndpoint', () => {
  it.each([
    ['127.0.0.1:7373', 'https://127.0.0.1:7373', '127.0.0.1', 7373],
    ['https://kes.example.net:7373', 'https://kes.example.net:7373', 'kes.example.net', 7373],
    ['http://kes:7373/', 'https://kes:7373', 'kes', 7373],
    ['[::1]:7373', 'https://[::1]:7373', '::1', 7373],
    ['kes.example.net', 'https://kes.example.net', 'kes.example.net', 443],
  ])('%s', (spec, url, host, port) => {
    expect(parseEndpoint(spec)).toEqual({ url, host, port })
  })

  it.each(['', 'https://', 'host:port', 'host:7373/path', 'user@host:7373'])('rejects %j', (spec) => {
    expect(() => parseEndpoint(spec)).toThrow(TypeError)
  })
})

describe('EndpointPool', () => {
  const a = parseEndpoint('kes-a:7373')
  const b = parseEndpoint('kes-b:7373')
  const c = parseEndpoint('kes-c:7373')
  const local = parseEndpoint('localhost:7373')

  it('knows loopback endpoints', () => {
    expect([local, parseEndpoint('127.0.0.2:1'), parseEndpoint('[::1]:1')].every(isLocalhost)).toBe(true)
    expect(isLocalhost(a)).toBe(false)
  })

  it('prefers a localhost endpoint, else starts at a random one and rotates', () => {
    expect(new EndpointPool([a, local, b]).attemptOrder()).toEqual([local, b, a])
    const clock = { now: () => 0, random: () => 0.5 }
    expect(new EndpointPool([a, b, c], { clock }).attemptOrder()).toEqual([b, c, a])
  })

  it('puts a failed endpoint last for 30 s, then tries it in turn again', () => {
    let now = 1_000
    const pool = new EndpointPool([local, a], { clock: { now: () => now, random: () => 0 } })
    pool.markDown(local)
    expect(pool.attemptOrder()).toEqual([a, local])
    now += 29_999
    expect(pool.attemptOrder()).toEqual([a, local])
    now += 2
    expect(pool.attemptOrder()).toEqual([local, a])
    pool.markDown(local)
    pool.markUp(local)
    expect(pool.attemptOrder()).toEqual([local, a])
  })

  it('refuses an empty list', () => {
    expect(() => new EndpointPool([])).toThrow('no server endpoint given')
  })
})
