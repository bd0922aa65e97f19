import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by paymux at /admin (src/admin/console-assets.ts): hashed files under /admin/assets/ (long cache),
// index.html for every other /admin/* path. No CDN: everything is bundled here.
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // No inline script or data: module preload polyfill, for the strict CSP (script-src 'self').
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
