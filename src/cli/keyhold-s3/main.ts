/**
 * The `keyhold-s3` executable (bin/keyhold-s3.js → here, or `node dist/src/cli/keyhold-s3/main.js`): runs one
 * subcommand and sets the exit code.
 *
 * @module
 */
import { runS3Cli } from './index.js'

const code = await runS3Cli(process.argv.slice(2), {
  env: process.env, stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s),
})
if (code !== 0) process.exitCode = code
