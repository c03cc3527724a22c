import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { swaggerUiAssets } from './scripts/swagger-ui-assets.js';

const BACKEND = process.env.LINLI_BACKEND || 'http://127.0.0.1:8000';
const proxy = { '/api': BACKEND, '/health': BACKEND, '/schema': BACKEND };

// Cached so the map and the profile still show offline. The cache is
// emptied on log-out (src/api.js), as its entries belong to one user.
const API_CACHE = 'linli-api';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: { proxy },
  preview: { proxy },
  build: {
    target: 'es2020',
    // Source maps help field debugging without weighing on users: only
    // downloaded when dev tools are open.
    sourcemap: true,
  },
  plugins: [
    swaggerUiAssets(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeManifestIcons: false, // globPatterns already picks up every icon
      strategies: 'generateSW',
      manifest: {
        id: '/',
        name: '邻里 Linli',
        short_name: '邻里',
        description: '城市社区网格化管理 · Community grid management',
        lang: 'zh-Hans',
        dir: 'ltr',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        theme_color: '#0b6e4f',
        background_color: '#f2f4f1',
        categories: ['government', 'utilities'],
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // public/ files (icons) are matched here too; the manifest is added by the plugin.
        globPatterns: ['**/*.{js,css,html,png,svg,ico}'],
        globIgnores: ['vendor/**', '**/*.map'],
        navigateFallback: 'index.html',
        // Server routes must reach the server (or fail) rather than get the app shell.
        navigateFallbackDenylist: [/^\/api(\/|$)/, /^\/schema(\/|$)/, /^\/health(\/|$)/, /^\/vendor\//],
        cleanupOutdatedCaches: true,
        // The first worker takes charge of the open page at once, so the map
        // fetched in this visit is already cached for offline use. Updates
        // still wait for the user (registerType 'prompt': no skipWaiting).
        clientsClaim: true,
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) =>
              sameOrigin && ['/api/v1/map', '/api/v1/me', '/api/v1/config'].includes(url.pathname),
            method: 'GET',
            handler: 'NetworkFirst',
            options: {
              cacheName: API_CACHE,
              networkTimeoutSeconds: 8,
              // Answers vary by language and token; offline, any saved copy beats none.
              matchOptions: { ignoreVary: true },
              cacheableResponse: { statuses: [200] },
              expiration: { maxEntries: 16, maxAgeSeconds: 30 * 24 * 60 * 60 },
            },
          },
        ],
      },
      devOptions: { enabled: false },
    }),
  ],
});
