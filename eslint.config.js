// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/.tmp/**', 'coverage/**', 'bin/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Backends depend on the keystore interface only (KES: backends are leaf packages), plus src/lib/:
    // process-level helpers with no Keyhold knowledge (reading a CA directory, durations), so that a
    // backend and the server read the same files the same way instead of keeping copies.
    files: ['backends/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          // Any depth: backends/vault/*.ts reaches src/ as ../../src/.
          regex: '^(\\.\\./)+src/(?!kms/keystore/keystore\\.js$|lib/)',
          message: 'backends/ may import only src/kms/keystore/keystore.js and src/lib/ from src/',
        }],
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
)
