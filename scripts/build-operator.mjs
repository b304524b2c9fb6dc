// Builds dist-operator/autoinstrumentation/: the agent as the OpenTelemetry Operator injects
// an agent into a pod without touching its image. The operator's init container copies the
// image's /autoinstrumentation/. into a volume mounted at /otel-auto-instrumentation-nodejs
// and sets NODE_OPTIONS=" --require /otel-auto-instrumentation-nodejs/autoinstrumentation.js".
// The folder is therefore self-contained: the packed agent installed (with its runtime
// dependencies, import-in-the-middle among them, which must stay files on disk) under its own
// node_modules, and autoinstrumentation.js requiring its register.cjs by relative path, so
// it works from any path and whatever the app's own node_modules hold.
//   npm run build:operator      (deploy/operator/Dockerfile packs the folder into an image)
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist-operator', 'autoinstrumentation');
const tmp = mkdtempSync(join(tmpdir(), 'budobserve-operator-'));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

try {
  // --ignore-scripts: prepack would build dist/ again; the npm script built it just before.
  const [{ filename }] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root));
  const stage = join(tmp, 'autoinstrumentation');
  mkdirSync(stage);
  writeFileSync(
    join(stage, 'package.json'),
    `${JSON.stringify({ name: 'budobserve-autoinstrumentation', private: true }, null, 2)}\n`,
  );
  npm(
    [
      'install',
      join(tmp, filename),
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--prefer-offline',
      '--loglevel=error',
    ],
    stage,
  );
  const agent = join(stage, 'node_modules', '@budobserve', 'agent');
  // What only a developer reads or runs (type declarations, examples, the CLI's link) has no use in a pod.
  for (const part of ['dist/types', 'examples', 'budobserve.config.example.ts'])
    rmSync(join(agent, part), { recursive: true, force: true });
  rmSync(join(stage, 'node_modules', '.bin'), { recursive: true, force: true });
  writeFileSync(
    join(stage, 'autoinstrumentation.js'),
    "'use strict';\n// Preloaded by the OpenTelemetry Operator: NODE_OPTIONS=\" --require /otel-auto-instrumentation-nodejs/autoinstrumentation.js\".\n// The agent and its dependencies are in the node_modules beside this file; the app's own are not used.\nrequire('./node_modules/@budobserve/agent/register.cjs');\n",
  );
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, '..'), { recursive: true });
  cpSync(stage, out, { recursive: true, verbatimSymlinks: true });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const size = (p) =>
  lstatSync(p).isDirectory() ? readdirSync(p).reduce((n, f) => n + size(join(p, f)), 0) : lstatSync(p).size;
const packages = readdirSync(join(out, 'node_modules'))
  .flatMap((n) => (n.startsWith('@') ? readdirSync(join(out, 'node_modules', n)) : [n]))
  .filter((n) => !n.startsWith('.'));
console.log(
  `built dist-operator/autoinstrumentation/ (${(size(out) / 1e6).toFixed(1)} MB, ${packages.length} packages)`,
);
