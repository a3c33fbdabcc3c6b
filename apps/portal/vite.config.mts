import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * The portal: built into dist/portal by `npm run build` and served by the API at `/`. No dev server is needed
 * (`npm start` serves the build); `npx vite --config apps/portal/vite.config.mts` proxies /v1 to a running API.
 * A manifest is written so tests can measure each role's entry bundle.
 */
export default defineConfig({
  root: import.meta.dirname,
  // the production builds of dependencies (react-router ships a development build under the `development`
  // condition, which Vite picks whenever NODE_ENV is not set to production, as under `npm run build`)
  resolve: { conditions: ['module', 'browser', 'production'] },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  base: '/',
  publicDir: resolve(import.meta.dirname, 'public'),
  // production JSX whatever NODE_ENV says (jest sets `test`, which would compile to jsxDEV for a production React)
  oxc: { jsx: { runtime: 'automatic', development: false } },
  build: {
    outDir: resolve(import.meta.dirname, '../../dist/portal'),
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      // react-router marks its module "use client" (for server components); a plain SPA has nothing to preserve
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
