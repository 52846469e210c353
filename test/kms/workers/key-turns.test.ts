/**
 * The parts of key turns across workers (key-turn-table.ts in the primary, key-turns-link.ts in a
 * worker), wired to each other in memory: first come first served, a worker that exits gives up
 * its turns, and a worker whose primary is gone gets no turn.
 */
import { describe, expect, it } from 'vitest'
import { KeyTurnTable } from '../../../src/kms/workers/key-turn-table.js'
import { WorkerKeyTurns } from '../../../src/kms/workers/key-turns-link.js'
import type { WorkerMessage } from '../../../src/kms/workers/messages.js'

/** Two workers' turns talking to one table, as the primary relays them. */
function cluster() {
  const table = new KeyTurnTable()
  const workers = new Map<number, WorkerKeyTurns>()
  const worker = (workerId: number): WorkerKeyTurns => {
    const turns = new WorkerKeyTurns((msg: WorkerMessage) => {
      if (msg.t === 'keyhold:turn-take') table.take(workerId, msg.id, msg.name, () => turns.handle({ t: 'keyhold:turn-given', id: msg.id }))
      if (msg.t === 'keyhold:turn-end') table.end(workerId, msg.id)
      return true
    })
    workers.set(workerId, turns)
    return turns
  }
  return { table, worker }
}

const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

describe('key turns across workers', () => {
  it('runs one turn per key at a time, in the order asked, and other keys meanwhile', async () => {
    const { table, worker } = cluster()
    const [a, b] = [worker(1), worker(2)]
    const order: string[] = []
    const first = gate()
    const t1 = a.run('k', async () => {
      order.push('a:start')
      await first.opened
      order.push('a:end')
    })
    const t2 = b.run('k', async () => {
      order.push('b')
    })
    const other = b.run('other', async () => {
      order.push('other')
    })
    await other
    expect(order).toEqual(['a:start', 'other'])
    first.open()
    await Promise.all([t1, t2])
    expect(order).toEqual(['a:start', 'other', 'a:end', 'b'])
    expect(table.size).toBe(0)
  })

  it('ends a turn whose work threw, and passes the error on', async () => {
    const { table, worker } = cluster()
    const a = worker(1)
    await expect(a.run('k', () => Promise.reject(new Error('keystore down')))).rejects.toThrow('keystore down')
    await expect(a.run('k', () => Promise.resolve('next'))).resolves.toBe('next')
    expect(table.size).toBe(0)
  })

  it('gives the turn of a worker that exited to the next in line', () => {
    const table = new KeyTurnTable()
    const given: string[] = []
    table.take(1, 1, 'k', () => given.push('w1'))
    table.take(2, 1, 'k', () => given.push('w2'))
    table.take(1, 2, 'k', () => given.push('w1 again'))
    table.take(3, 1, 'k', () => given.push('w3'))
    table.gone(1)
    expect(given).toEqual(['w1', 'w2'])
    table.end(2, 1)
    expect(given).toEqual(['w1', 'w2', 'w3'])
    table.end(3, 1)
    expect(table.size).toBe(0)
  })

  it('refuses a turn when the primary is gone rather than waiting for ever', async () => {
    const turns = new WorkerKeyTurns(() => false)
    let ran = false
    await expect(turns.run('k', async () => void (ran = true))).rejects.toThrow('the cluster primary is gone')
    expect(ran).toBe(false)
  })
})
