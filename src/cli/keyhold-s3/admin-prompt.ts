/**
 * Reads a secret from the terminal without echo (or the first line of piped stdin), as `mc admin
 * user add` does when the secret key is not given.
 *
 * @module
 */

/** readSecret prints `prompt` to stderr and resolves the entered line. Rejects when stdin ends empty. */
export function readSecret(prompt: string, stdin: NodeJS.ReadStream = process.stdin, out: (s: string) => void = (s) => process.stderr.write(s)): Promise<string> {
  out(prompt)
  return new Promise((resolve, reject) => {
    const tty = stdin.isTTY === true && typeof stdin.setRawMode === 'function'
    if (tty) stdin.setRawMode(true)
    let line = ''
    const finish = (err?: Error): void => {
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      if (tty) stdin.setRawMode(false)
      stdin.pause()
      out('\n')
      if (err) reject(err)
      else resolve(line)
    }
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\u0003') return finish(new Error('interrupted'))
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1)
        else line += ch
        if (line.length > 1024) return finish(new Error('input too long'))
      }
    }
    const onEnd = (): void => (line === '' ? finish(new Error('no secret key given')) : finish())
    stdin.on('data', onData)
    stdin.on('end', onEnd)
    stdin.resume()
  })
}
