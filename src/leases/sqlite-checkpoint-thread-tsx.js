// Entry of the SQLite checkpoint thread when the store runs from its TypeScript sources, as
// `sqlite-writer-thread-tsx.js` is for the writer thread: registers tsx before importing the body.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-checkpoint-thread.ts');
