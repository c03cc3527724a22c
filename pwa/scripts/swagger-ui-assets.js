// Vite plugin: copies the swagger-ui-dist files the server's OpenAPI page
// needs into dist/vendor/swagger-ui/, so that page works without a CDN.
// They are served as plain files and kept out of the service worker's
// precache (see globIgnores in vite.config.js).
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

export const SWAGGER_UI_FILES = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
  'oauth2-redirect.html',
  'LICENSE',
];

export function swaggerUiAssets({ dir = 'vendor/swagger-ui' } = {}) {
  let outDir;
  return {
    name: 'linli-swagger-ui-assets',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir, dir);
    },
    async writeBundle() {
      const require = createRequire(import.meta.url);
      const source = dirname(require.resolve('swagger-ui-dist/package.json'));
      await mkdir(outDir, { recursive: true });
      await Promise.all(SWAGGER_UI_FILES.map((name) => copyFile(join(source, name), join(outDir, name))));
    },
  };
}
