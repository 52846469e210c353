/**
 * The error a policy document fails with.
 *
 * @module
 */

/**
 * MalformedPolicyError: a policy document is not valid JSON or breaks the policy grammar. The
 * message says precisely what is wrong and is safe to show to clients (it quotes only the
 * document's own fields).
 */
export class MalformedPolicyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MalformedPolicyError'
  }
}
