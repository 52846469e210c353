/**
 * Sums the workers' metrics for one scrape: the primary asks every live worker for its
 * registry as JSON and merges them with prom-client's aggregator (counters, histograms and most
 * gauges add up; up-time takes the maximum, the CPU count the first value).
 *
 * @module
 */
import type { Worker } from 'node:cluster'
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import { dropEmptyFamilies } from '../observability/metrics.js'

type Part = MetricObjectWithValues<MetricValue<string>>[]

/** A worker that does not answer within this time is left out of the scrape. */
const COLLECT_TIMEOUT_MS = 2000

interface Collection {
  waiting: Set<number>
  parts: Part[]
  done: () => void
}

/** MetricsAggregator runs scrapes across the workers. Throws nothing. */
export class MetricsAggregator {
  readonly #workers: () => Worker[]
  readonly #collections = new Map<number, Collection>()
  #nextId = 1

  /** `workers` lists the live workers at the time of a scrape. */
  constructor(workers: () => Worker[]) {
    this.#workers = workers
  }

  /** aggregate collects every live worker's metrics and returns the summed text. */
  async aggregate(): Promise<string> {
    const id = this.#nextId++
    const workers = this.#workers().filter((w) => w.isConnected())
    const parts: Part[] = []
    await new Promise<void>((resolve) => {
      if (workers.length === 0) return resolve()
      const timer = setTimeout(finish, COLLECT_TIMEOUT_MS)
      const collection: Collection = { waiting: new Set(workers.map((w) => w.id)), parts, done: finish }
      this.#collections.set(id, collection)
      function finish(): void {
        clearTimeout(timer)
        resolve()
      }
      for (const w of workers) w.send({ t: 'keyhold:metrics-collect', id })
    })
    this.#collections.delete(id)
    if (parts.length === 0) return ''
    const registry = AggregatorRegistry.aggregate(parts)
    return dropEmptyFamilies(await registry.metrics())
  }

  /** receive takes one worker's answer to scrape `id`. */
  receive(workerId: number, id: number, part: Part): void {
    const c = this.#collections.get(id)
    if (!c || !c.waiting.delete(workerId)) return
    c.parts.push(part)
    if (c.waiting.size === 0) c.done()
  }
}
