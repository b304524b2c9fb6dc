#!/usr/bin/env node
// `budobserve` command line: `doctor` explains what the agent would do here and why;
// `init` writes a commented budobserve.config.ts. Owns presentation only: the answers come
// from the same configuration code the agent boots with.
import { doctor } from './doctor.ts';
import { init } from './init.ts';
import { AGENT_VERSION } from '../version.ts';
import { errorText } from '../errors.ts';

const USAGE = `Usage: budobserve <command>

Commands:
  doctor [--json] [bundle.js ...]
                    Show the resolved configuration with the source of every value, the
                    instrumentations that would load, the auto-trace patterns and whether
                    the OTLP endpoint answers; first, if the agent would not run here, why.
                    For each bundle named, the libraries recognised inside it, with versions,
                    and those that are not.
  init [--force]    Write a commented budobserve.config.ts in the project root (the
                    nearest folder with a package.json), unless another config file
                    is there.
  --version         Print the agent's version.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor':
      return doctor({
        json: rest.includes('--json'),
        cwd: process.cwd(),
        env: process.env,
        bundles: rest.filter((a) => !a.startsWith('-')),
      });
    case 'init':
      return init({ cwd: process.cwd(), force: rest.includes('--force') });
    case '--version':
    case '-v':
      process.stdout.write(`${AGENT_VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`budobserve: unknown command '${command}'\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`budobserve: ${errorText(error)}\n`);
    process.exitCode = 1;
  },
);
