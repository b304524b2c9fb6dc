// Lint: typescript-eslint's type-aware recommended rules over src/ (floating and misused
// promises, unsafe any, unused names, needless assertions), the plain recommended rules over
// the scripts, tests and benchmarks. Formatting is Prettier's (.prettierrc.json), not lint's.
// Each rule switched off or narrowed below says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  // Fixtures are apps as users write them, some odd on purpose (sloppy mode, a thrown undefined
  // name for stack tests, Express error handlers with an unused `next`): not linted.
  { ignores: ['dist/**', 'dist-operator/**', 'dist.*/**', 'node_modules/**', '.cache/**', 'fixtures/**'] },
  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Small single-concept files and functions a reader can hold (CONTRIBUTING.md).
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 80 }],
      // A destructured name left out of a rest (`{ drop: _, ...rest }`) is how a key is removed.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // A patch function has the patched object's `this`; the instrumentation is reached
      // through a named alias, as in OpenTelemetry's own instrumentations.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self', 'instrumentation'] }],
      // Values of unknown type (an environment variable, an attribute, a thrown value) are
      // turned into text on purpose, in warnings and attributes; objects go through errorText.
      '@typescript-eslint/no-base-to-string': 'off',
      // Stylistic, with no bug behind it here: OTel's AttributeValue and AnyValue are wide
      // unions, and `| undefined` beside them says what a parameter may be; an assertion
      // naming the result of Reflect.apply or bind() reads better than spelled-out generics.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // The built-ins captured at load, to be called later with an explicit receiver
    // (Reflect.apply): unbound on purpose, so that an app replacing them changes nothing.
    files: ['src/primordials.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // The tests assert that control characters are escaped and ANSI colours written.
    files: ['test/**/*.mjs'],
    rules: { 'no-control-regex': 'off' },
  },
);
