// Entry of the SQLite writer thread when the store runs from its TypeScript sources (tests, a checkout): a
// worker does not inherit the parent's tsx loader, so it registers its own before importing the body. The
// built package starts the compiled `sqlite-writer-thread.js` directly and never loads this file.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-writer-thread.ts');
