// One entry, one script and one stylesheet with content-hashed names; nothing inline, so the page
// runs under a Content-Security-Policy without 'unsafe-inline'.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'build',
    emptyOutDir: true,
    modulePreload: false,   // its polyfill would be the only code outside the bundle
    assetsInlineLimit: 0,   // no data: URLs for assets
    cssCodeSplit: false,
    target: 'es2020',
  },
  // `npm run dev`: the page from Vite, the API from a running `airlock serve`.
  server: { proxy: { '/api': 'http://127.0.0.1:11434', '/metrics': 'http://127.0.0.1:11434' } },
});
