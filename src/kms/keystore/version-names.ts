/**
 * Where older versions of a rotated key live in a keystore (docs/key-rotation.md, "Stored form").
 *
 * The current version of key `NAME` stays at `NAME`, in KES's own encoding, so that a KES server
 * on the same keystore keeps working with it. Every version from the first rotation on is also
 * stored at `NAME-v<N>-`: a name no KES key can have (a KES name never ends with `-`,
 * src/kms/api/validate.ts), made only of characters every KES keystore accepts, so the fs,
 * Vault and etcd backends store it as they store any key. `key ls` and `/v1/key/list` hide
 * these entries (versioned-store.ts); the API never lets a client name one.
 *
 * The parse is unambiguous: `NAME` is everything before the last `-v<digits>-`, so the entries of
 * key `a-v2` (`a-v2-v1-`) are never taken for version entries of key `a`.
 *
 * @module
 */
import { isValidName } from '../api/validate.js'

/** Versions are numbered from 1; this many is far beyond any sane rotation schedule. */
export const MAX_VERSION = 999_999_999

const ENTRY = /^(.+)-v([1-9][0-9]{0,8})-$/

/** versionEntry returns the keystore name of version `version` of key `name`. Throws RangeError on a version outside 1..MAX_VERSION. */
export function versionEntry(name: string, version: number): string {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw new RangeError(`invalid key version ${version}`)
  return `${name}-v${version}-`
}

/** parseVersionEntry splits a keystore name into key name and version, or returns undefined for anything else. Throws nothing. */
export function parseVersionEntry(entry: string): { name: string; version: number } | undefined {
  const m = ENTRY.exec(entry)
  if (m === null || !isValidName(m[1]!)) return undefined
  return { name: m[1]!, version: Number(m[2]) }
}

/**
 * pendingEntry is where a rotation parks the version it is making current while it replaces
 * `name` (a delete and a create): readers that find `name` absent read this instead. Throws nothing.
 */
export function pendingEntry(name: string): string {
  return `${name}-next-`
}

/** parkedKeyOf is the key whose parked copy `entry` is ({@link pendingEntry}), or undefined for any other entry. Throws nothing. */
export function parkedKeyOf(entry: string): string | undefined {
  if (!entry.endsWith('-next-')) return undefined
  const name = entry.slice(0, -'-next-'.length)
  return isValidName(name) ? name : undefined
}

/**
 * isListedKey tells a listed name that can be a key from the side entries of rotation: every side
 * entry ends with `-`, which no KES key name does. Throws nothing.
 */
export function isListedKey(stored: string): boolean {
  return !stored.endsWith('-')
}

/** versionPrefix is the listing prefix under which every version entry of `name` lies (among other names). Throws nothing. */
export function versionPrefix(name: string): string {
  return `${name}-v`
}

/**
 * versionsIn picks the versions of key `name` out of a listing (which may hold other names with
 * the same prefix), in descending order. Throws nothing.
 */
export function versionsIn(names: readonly string[], name: string): number[] {
  const out: number[] = []
  for (const entry of names) {
    const v = parseVersionEntry(entry)
    if (v !== undefined && v.name === name) out.push(v.version)
  }
  return out.sort((a, b) => b - a)
}
