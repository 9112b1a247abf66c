// Lint runs inside `npm test`. Type-aware rules catch floating promises, which in an actor host mean lost acks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Read time through an injected Clock.' },
      ],
    },
  },
  {
    // The ops dashboard is plain browser JavaScript served as is.
    files: ['gateway/dashboard/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Entry points, scripts and tests own the real clock.
    files: ['scripts/**', 'test/**', 'src/main.ts', 'src/shared/clock.ts', 'src/processes/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
