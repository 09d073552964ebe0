import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Tarn's web UI: Preact pages built into static files that the API process serves at /ui (apps/api/src/web-ui).
// TARN_UI_OUT_DIR builds elsewhere (the browser test builds into a directory of its own).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // Pure domain code shared with the command line (how durations and DID filters are read).
  resolve: { alias: { '@tarn/domain': fileURLToPath(new URL('../../libs/domain/src', import.meta.url)) } },
  build: {
    outDir: process.env.TARN_UI_OUT_DIR ?? fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One bundle of Preact, uPlot and the pages (about 100 kB): no page waits on a second round trip.
    chunkSizeWarningLimit: 400,
  },
});
