// Runs the `budobserve` command (dist/cli.mjs, or an installed bin) as a child process.
// Asynchronous on purpose: `doctor` probes receivers that live in the test's own process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { root, nodeBin, cleanEnv } from './run.mjs';

/**
 * @param {string[]} args
 * @param {{ cwd?: string, env?: Record<string, string>, node?: string, bin?: string }} [o]
 *   `bin`: an executable to run instead of `node dist/cli.mjs` (node_modules/.bin/budobserve).
 */
export async function cli(args, { cwd = root, env = {}, node = nodeBin, bin } = {}) {
  const [cmd, argv] = bin === undefined ? [node, [`${root}dist/cli.mjs`, ...args]] : [bin, args];
  const child = spawn(cmd, argv, { cwd, env: cleanEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
  });
  const [code] = await once(child, 'close');
  return { code, stdout, stderr };
}

/** `doctor --json`, parsed, with value(option) and source(option) lookups. */
export async function doctorJson(cwd, o = {}) {
  const r = await cli(['doctor', '--json'], { cwd, ...o });
  if (r.code !== 0) throw new Error(`doctor failed (${r.code}): ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  report.value = (option) => report.values.find((v) => v.option === option)?.value;
  report.stderr = r.stderr;
  return report;
}
