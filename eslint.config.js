import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layering (docs/architecture.md): a module imports another only through its index.ts (or a sub-module's,
// such as runtime/client/index.ts); the engines, the DDNS decisions they use and the shared root files import
// no node:* module, and the engines nothing of the layers above them.
const ENGINES = ['protocol', 'server', 'client', 'ddns'];
const NODE_BUILTIN =
  '^(node:|(assert|buffer|child_process|crypto|dgram|diagnostics_channel|dns|events|fs|http|https|net|os|path|perf_hooks|process|stream|string_decoder|timers|tls|url|util|worker_threads|zlib)(/|$))';
/** An import that leaves its module (`depth` levels up to src/) into another one's internals. */
const deepImport = (depth) => ({
  regex: `^(\\.\\./){${depth}}[a-z-]+/(?!index\\.ts$)(?![a-z-]+/index\\.ts$).+`,
  message: 'Import another module through its index.ts (docs/architecture.md).',
});
const nodeImport = {
  regex: NODE_BUILTIN,
  message: 'The engines and the shared root files are sans-IO: no node:* import (docs/architecture.md).',
};
const upwardImport = (depth) => ({
  regex: `^(\\.\\./){${depth}}(runtime|control|library|cli)(/|$)`,
  message: 'The engines never import runtime, control, library or cli (docs/architecture.md).',
});
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const layering = [1, 2].flatMap((depth) => {
  const below = Array.from({ length: depth }, () => '*').join('/');
  return [
    // The browser dashboard (src/web/client) is bundled by esbuild: it takes the WebSocket message shapes
    // from control/websocket/protocol.ts itself, since the module's index.ts pulls in node:* code.
    { files: [`src/${below}/*.ts`], ignores: ['src/web/client/**'], rules: restrict(deepImport(depth)) },
    {
      files: ENGINES.map((m) => `src/${m}/${below.slice(2)}${depth > 1 ? '/' : ''}*.ts`),
      rules: restrict(deepImport(depth), nodeImport, upwardImport(depth)),
    },
  ];
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'build/**', 'prebuilds/**', 'coverage/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  ...layering,
  { files: ['src/errors.ts', 'src/listener-set.ts'], rules: restrict(nodeImport) },
  {
    files: ['src/cli/**', 'bench/**', 'scripts/**', 'examples/**', 'test/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
