// Type-checks the tests, their helpers and the benchmarks (plain JavaScript, checked through
// tsconfig.test.json: allowJs + checkJs) for the mistakes a test can make without failing:
// a name that is not defined, an import of something a module does not export (after a src
// file moved or was renamed), a call with the wrong number of arguments (a failure message
// passed to a helper that drops it), a typo of a known API's member, a syntax error in a
// branch that does not run. Only those are reported: what tsc infers for untyped JavaScript
// (a union from an array literal, `server.address().port`) is no mistake, and making it
// typecheck would take casts and JSDoc everywhere. src/ is `npm run typecheck`'s, strictly.
// Must not emit anything. Exit code 1 when something is reported.
//   npm run typecheck:test
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

// The mistakes, by TypeScript's diagnostic code.
const REPORTED = new Map([
  [2304, 'a name that is not defined'],
  [2552, 'a name that is not defined'],
  [2305, 'an import the module does not export'],
  [2724, 'an import the module does not export'],
  [2614, 'an import the module does not export'],
  [2613, 'a default import of a module without one'],
  [1192, 'a default import of a module without one'],
  [2307, 'a module that cannot be found'],
  [2306, 'a file that is not a module'],
  [2554, 'a call with the wrong number of arguments'],
  [2555, 'a call with too few arguments'],
  [2556, 'a spread call with the wrong number of arguments'],
  [2551, 'a typo of a member (TypeScript knows a close one)'],
  [2448, 'used before it is declared'],
  [2454, 'used before it is assigned'],
  [2588, 'an assignment to a const'],
  [2451, 'a redeclared variable'],
  [2300, 'a duplicate identifier'],
  [2578, 'a @ts-expect-error that expects nothing (or a comment read as one)'],
]);

/** Also reported: a member that does not exist on a module namespace (`import * as p`, then p.typo). */
const onNamespace = (d) =>
  d.code === 2339 && /on type 'typeof import\(/.test(ts.flattenDiagnosticMessageText(d.messageText, '\n'));

const configPath = `${root}tsconfig.test.json`;
const config = ts.getParsedCommandLineOfConfigFile(
  configPath,
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  },
);
if (config === undefined) throw new Error(`cannot read ${configPath}`);
if (config.errors.length > 0)
  throw new Error(
    ts.formatDiagnostics(config.errors, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => root,
      getNewLine: () => '\n',
    }),
  );
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });

const ours = (d) =>
  d.file !== undefined && !d.file.fileName.includes('/node_modules/') && !d.file.fileName.startsWith(`${root}src/`);
const all = [
  ...program.getSyntacticDiagnostics(),
  ...program.getSemanticDiagnostics(),
  ...program.getOptionsDiagnostics(),
];
// Syntax errors (1xxx) always; the rest by code.
const reported = all.filter(
  (d) => ours(d) && ((d.code >= 1000 && d.code < 2000) || REPORTED.has(d.code) || onNamespace(d)),
);
const inferred = all.filter((d) => ours(d) && !reported.includes(d)).length;

const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
for (const d of reported)
  process.stdout.write(
    `${ts.formatDiagnostic(d, host).trimEnd()}   [${REPORTED.get(d.code) ?? (onNamespace(d) ? 'a member the module does not have' : 'a syntax error')}]\n`,
  );
const files = config.fileNames.length;
process.stdout.write(
  `typecheck:test: ${files} files, ${reported.length} mistakes${inferred > 0 ? ` (${inferred} diagnostics about inferred types of untyped JavaScript not reported)` : ''}\n`,
);
process.exitCode = reported.length > 0 ? 1 : 0;
