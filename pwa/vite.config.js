import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { swaggerUiAssets } from './scripts/swagger-ui-assets.js';

const BACKEND = process.env.LINLI_BACKEND || 'http://127.0.0.1:8000';
const proxy = { '/api': BACKEND, '/health': BACKEND, '/schema': BACKEND };

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
      strategies: 'injectManifest',
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
      // A worker of our own (src/sw.js) for web push and the offline queue;
      // it keeps the precache and the runtime caches generateSW used to make.
      srcDir: 'src',
      filename: 'sw.js',
      injectManifest: {
        // public/ files (icons) are matched here too; the manifest is added by the plugin.
        globPatterns: ['**/*.{js,css,html,png,svg,ico}'],
        globIgnores: ['vendor/**', '**/*.map', 'sw.js'],
      },
      devOptions: { enabled: false },
    }),
  ],
});
