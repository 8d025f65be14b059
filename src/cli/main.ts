#!/usr/bin/env -S node --v8-pool-size=1 --no-concurrent-marking
import { readFileSync } from 'node:fs';
import { UsageError, wantsHelp } from './command.ts';
import { commands } from './registry.ts';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: leasekeeper <command> [options]',
    '',
    'A DHCPv4 server, client and library for Node.js.',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `leasekeeper <command> --help` for the options of one command, `leasekeeper --version` for the version.',
  ].join('\n');
}

/** The package's version: package.json sits two levels up from both src/cli/ and dist/cli/. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(pkg.version);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    console.log(version());
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`leasekeeper: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  if (wantsHelp(rest)) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`leasekeeper ${command.name}: ${err.message}\n\n${command.help}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
