import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { storeSignal } from '../../../src/kms/keystore/store-deadline.js'

// A real collection between creating the signal and its deadline: the way the deadline was lost.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('storeSignal', () => {
  it('times out with a TimeoutError even after a garbage collection, with and without a caller signal', async () => {
    const caller = new AbortController()
    const withCaller = storeSignal(caller.signal, 150)
    const alone = storeSignal(undefined, 150)
    for (let i = 0; i < 3; i++) {
      gc()
      await sleep(10)
    }
    await sleep(300)
    expect(withCaller.aborted).toBe(true)
    expect((withCaller.reason as Error).name).toBe('TimeoutError')
    expect(alone.aborted).toBe(true)
    expect(caller.signal.aborted).toBe(false)
  })

  it("aborts with the caller's reason when the caller aborts first, or already has", () => {
    const caller = new AbortController()
    const signal = storeSignal(caller.signal, 60_000)
    expect(signal.aborted).toBe(false)
    caller.abort(new Error('client went away'))
    expect(signal.aborted).toBe(true)
    expect((signal.reason as Error).message).toBe('client went away')
    expect(storeSignal(caller.signal).reason).toBe(caller.signal.reason)
  })
})
