/**
 * Watching a file for changes with a debounce. The directory is watched, not the file: editors
 * and config managers replace files by rename, which ends a watch on the old inode.
 *
 * @module
 */
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'

/** A running watch. */
export interface FileWatch {
  path: string
  close(): void
}

/** watchFile calls `onChange` once per burst of changes to `path` (debounced). Throws nothing: a failed watch is a no-op. */
export function watchFile(path: string, onChange: () => void, debounceMs = 200): FileWatch {
  const name = basename(path)
  let timer: NodeJS.Timeout | undefined
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file !== null && file.toString() !== name) return
      clearTimeout(timer)
      timer = setTimeout(onChange, debounceMs)
    })
    watcher.on('error', () => watcher?.close())
  } catch {
    watcher = undefined
  }
  return {
    path,
    close() {
      clearTimeout(timer)
      watcher?.close()
    },
  }
}
