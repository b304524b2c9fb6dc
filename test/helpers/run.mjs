// Runs a fixture app the way users do: a child process of a supported Node, with the agent
// preloaded by --import or --require, and returns what it printed and how it ended.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const fixtures = `${root}fixtures/`;
/** The Node the tests run on (npm scripts put the project's Node 24 first on PATH). */
export const nodeBin = process.env.BUD_TEST_NODE ?? process.execPath;
export const register = `${root}register.mjs`;
export const registerCjs = `${root}register.cjs`;

/** Environment without anything of the agent's or OTel's from the outer shell. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BUD_OBSERVE_') || k.startsWith('OTEL_') || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT')
      continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * @param {object} o
 * @param {string} o.script path of the app
 * @param {string[]} [o.preload] node flags, e.g. ['--import', register]
 * @param {Record<string, string | undefined>} [o.env] on top of cleanEnv(); undefined removes a variable
 * @param {string} [o.cwd]
 * @param {string[]} [o.args] the app's arguments
 * @param {(child: import('node:child_process').ChildProcess, out: { stdout: string, stderr: string }) => void} [o.onSpawn]
 * @param {number} [o.timeoutMs] after which the app is killed (SIGKILL)
 * @param {string} [o.node] the node binary (or a wrapper such as setpriv)
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>}
 */
export async function runApp({
  script,
  preload = ['--import', register],
  env = {},
  cwd,
  args = [],
  onSpawn,
  timeoutMs = 30_000,
  node = nodeBin,
}) {
  const child = spawn(node, [...preload, script, ...args], {
    cwd: cwd ?? fixtures,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out.stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    out.stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  onSpawn?.(child, out);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  if (child.stdout.readable) await once(child.stdout, 'close').catch(() => {});
  return { code, signal, stdout: out.stdout, stderr: out.stderr };
}

/** Waits until the child printed `text` on stdout. */
export function waitForOutput(out, text, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (out.stdout.includes(text)) return resolve();
      if (Date.now() - start > ms) return reject(new Error(`no '${text}' in output: ${out.stdout}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

/** The version of the Node under test. */
export const nodeVersion = (await import('node:child_process'))
  .spawnSync(nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8' })
  .stdout.trim();

/**
 * Whether the Node under test runs synchronous load hooks (22.22.3+, 24.11.1+, 26): the
 * auto-trace rewrite needs them (nodejs/node#59929); on older releases the agent says so
 * and leaves the app's functions untraced.
 */
export const hasSyncLoadHooks = (() => {
  const [major, minor, patch] = nodeVersion.split('.').map(Number);
  if (major >= 26 || major === 25) return true;
  if (major === 24) return minor > 11 || (minor === 11 && patch >= 1);
  if (major === 22) return minor > 22 || (minor === 22 && patch >= 3);
  return false;
})();
