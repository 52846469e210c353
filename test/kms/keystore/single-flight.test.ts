/** SingleFlight: concurrent loads of a name join; a forgotten load is told it is no longer current. */
import { describe, expect, it } from 'vitest'
import { SingleFlight } from '../../../src/kms/keystore/single-flight.js'

describe('SingleFlight', () => {
  it('joins concurrent runs of one name and starts afresh once the load settled', async () => {
    const flight = new SingleFlight<number>()
    let loads = 0
    const load = async () => ++loads
    expect(await Promise.all([flight.run('k', load), flight.run('k', load), flight.run('other', load)])).toEqual([1, 1, 2])
    expect(await flight.run('k', load)).toBe(3)
  })

  it('tells a load overtaken by forget that it is not current, and lets the next run start its own', async () => {
    const flight = new SingleFlight<string>()
    let release!: () => void
    const seen: boolean[] = []
    const first = flight.run('k', (isCurrent) => new Promise<void>((r) => (release = r)).then(() => (seen.push(isCurrent()), 'old')))
    flight.forget('k')
    const second = flight.run('k', async (isCurrent) => (seen.push(isCurrent()), 'new'))
    release()
    expect([await first, await second]).toEqual(['old', 'new'])
    expect(seen).toEqual([true, false])
  })

  it('passes a rejection to every joined caller and does not keep it', async () => {
    const flight = new SingleFlight<number>()
    const failing = () => Promise.reject(new Error('store down'))
    await expect(Promise.all([flight.run('k', failing), flight.run('k', failing)])).rejects.toThrow('store down')
    expect(await flight.run('k', async () => 7)).toBe(7)
  })
})
