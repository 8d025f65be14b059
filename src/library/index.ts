/**
 * The library module as the rest of the project sees it. Programs use the package root (src/index.ts),
 * which re-exports the library's public API.
 */
export { startDemo, type Demo } from './demo.ts';
