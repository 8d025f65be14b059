#!/usr/bin/env -S node --v8-pool-size=1 --no-concurrent-marking
// The CLI from the TypeScript sources through tsx, for development and the tests (no build step). The
// package's own `leasekeeper` command is the compiled dist/cli/main.js.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
