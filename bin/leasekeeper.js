#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the CLI works from a checkout without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
