/**
 * The compiled thread `name` beside this compiled module, or its tsx bootstrap (`name-tsx.js`, which registers
 * tsx before importing the TypeScript body) when running from the sources: a worker does not inherit its
 * parent's loader.
 */
export function threadEntry(name: string): URL {
  const fromSources = import.meta.url.endsWith('.ts');
  return new URL(fromSources ? `./${name}-tsx.js` : `./${name}.js`, import.meta.url);
}
