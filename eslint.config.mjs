import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', 'coverage/', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // client-node models are classes with no behaviour; plain object literals are how its API is used.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Cache reads return raw JSON; the caller names the typed view it reads it through (get<Pod>(...)).
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
  {
    // The engine is read rule by rule: a function over a screen, or with many paths, hides its rules (issue 13).
    files: ['src/triage/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
      complexity: ['error', 25],
    },
  },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
