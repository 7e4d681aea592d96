// Builds the web console into the package's dist/console (served by the broker's HTTP listener at `/`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
  },
  // `vite dev` (npm run console:dev) proxies the API to a broker on the default HTTP port.
  server: { proxy: { '/api': 'http://127.0.0.1:9644' } },
});
