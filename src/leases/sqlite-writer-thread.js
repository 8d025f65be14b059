// Entry of the SQLite writer thread: a worker does not inherit the parent's tsx loader, so it registers its own
// before importing the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-writer-thread.ts');
