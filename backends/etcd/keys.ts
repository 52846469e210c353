/**
 * etcd's keys as the gateway wants them: base64 in JSON, and the `range_end` of a prefix.
 *
 * @module
 */

/** b64 encodes bytes or UTF-8 text as the gateway's base64. */
export function b64(value: Uint8Array | string): string {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)).toString('base64')
}

/** unb64 decodes a gateway base64 field (absent = empty). */
export function unb64(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : '', 'base64')
}

/**
 * prefixEnd is the `range_end` that selects every key starting with `prefix` (etcd's
 * `clientv3.GetPrefixRangeEnd`): the prefix with its last byte below 0xff incremented. The empty
 * prefix (or one of 0xff bytes only) selects everything: `\0`.
 */
export function prefixEnd(prefix: Uint8Array | string): Buffer {
  const end = Buffer.from(typeof prefix === 'string' ? Buffer.from(prefix, 'utf8') : prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}
