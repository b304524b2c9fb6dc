// Runs `budobserve doctor --json` in a folder with a given environment: the resolved
// configuration, with the source of every value, as the agent itself would resolve it.
import { spawnSync } from 'node:child_process';
import { root, nodeBin, cleanEnv } from './run.mjs';

export function doctor(cwd, env = {}, node = nodeBin) {
  const r = spawnSync(node, [`${root}dist/cli.mjs`, 'doctor', '--json'], { cwd, env: cleanEnv(env), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`doctor failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  report.value = (option) => report.values.find((v) => v.option === option)?.value;
  report.source = (option) => report.values.find((v) => v.option === option)?.source;
  report.stderr = r.stderr;
  return report;
}
