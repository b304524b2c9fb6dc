// `budobserve init`: a starting config file with every common option shown and explained.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The template is the package's budobserve.config.example.ts, one folder above dist/.
const TEMPLATE_URL = new URL('../budobserve.config.example.ts', import.meta.url);

export function init(opts: { cwd: string; force: boolean }): number {
  const file = join(opts.cwd, 'budobserve.config.ts');
  if (existsSync(file) && !opts.force) {
    process.stderr.write(`budobserve: ${file} already exists (use --force to overwrite)\n`);
    return 1;
  }
  writeFileSync(file, readFileSync(TEMPLATE_URL, 'utf8'));
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}
