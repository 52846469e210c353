/**
 * Forced interleavings for keystore tests: `before.set('create k', fn)` runs `fn` (once) before the next
 * `create` of `k`, so a test can slip another request (or a failure) into exactly that step.
 */
export class Steps {
  readonly before = new Map<string, () => Promise<void>>()
  /** Hooks run (once) after the step, before its caller sees the result. */
  readonly after = new Map<string, () => Promise<void>>()

  /** run awaits the hook for `op` on `name`, if one is set, and removes it. Throws what the hook throws. */
  async run(op: string, name: string): Promise<void> {
    const hook = this.before.get(`${op} ${name}`)
    if (hook === undefined) return
    this.before.delete(`${op} ${name}`)
    await hook()
  }

  /** done awaits the after-hook for `op` on `name`, if one is set, and removes it. Throws what the hook throws. */
  async done(op: string, name: string): Promise<void> {
    const hook = this.after.get(`${op} ${name}`)
    if (hook === undefined) return
    this.after.delete(`${op} ${name}`)
    await hook()
  }
}
