// Prints the built files with their gzip sizes and fails when the JavaScript
// that index.html loads up front (its module scripts and modulepreloads)
// exceeds the budget. Lazy chunks such as Leaflet's are listed, not counted.
//   node scripts/size.mjs            check (exit 1 when over budget)
//   node scripts/size.mjs --report   print only
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET_KIB = 150;
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const reportOnly = process.argv.includes('--report');

if (!existsSync(join(DIST, 'index.html'))) {
  console.error('size: dist/index.html not found; run `npm run build` first');
  process.exit(1);
}

const kib = (bytes) => (bytes / 1024).toFixed(1).padStart(7);
const gzipSize = (file) => gzipSync(readFileSync(file), { level: 9 }).length;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const html = readFileSync(join(DIST, 'index.html'), 'utf8');
const entryUrls = new Set();
for (const tag of html.match(/<(script|link)\b[^>]*>/g) || []) {
  const isModule = /^<script/.test(tag) && /type=["']module["']/.test(tag);
  const isPreload = /^<link/.test(tag) && /rel=["']modulepreload["']/.test(tag);
  const url = (/(?:src|href)=["']([^"']+)["']/.exec(tag) || [])[1];
  if ((isModule || isPreload) && url && !/^(https?:)?\/\//.test(url)) entryUrls.add(url.replace(/^\//, ''));
}

let entryGzip = 0;
const rows = walk(DIST)
  .filter((file) => !file.endsWith('.map') && !relative(DIST, file).startsWith('vendor/'))
  .map((file) => {
    const name = relative(DIST, file).split('\\').join('/');
    const entry = entryUrls.has(name);
    const gz = gzipSize(file);
    if (entry) entryGzip += gz;
    return { name, raw: statSync(file).size, gz, entry };
  })
  .sort((a, b) => b.gz - a.gz);

console.log('    raw KiB  gzip KiB  file');
for (const row of rows) {
  console.log(`${kib(row.raw)}   ${kib(row.gz)}   ${row.name}${row.entry ? '   ← loaded by index.html' : ''}`);
}
const vendorDir = join(DIST, 'vendor');
if (existsSync(vendorDir)) {
  const vendorBytes = walk(vendorDir).reduce((sum, file) => sum + statSync(file).size, 0);
  console.log(`${kib(vendorBytes)}              vendor/ (swagger-ui, not precached, not counted)`);
}

const missing = [...entryUrls].filter((name) => !rows.some((row) => row.name === name));
if (missing.length) {
  console.error(`size: index.html references missing files: ${missing.join(', ')}`);
  process.exit(1);
}
if (entryUrls.size === 0) {
  console.error('size: no module script found in dist/index.html');
  process.exit(1);
}

const verdict = entryGzip <= BUDGET_KIB * 1024;
console.log(
  `\nInitial JavaScript (${entryUrls.size} file${entryUrls.size === 1 ? '' : 's'}): ` +
    `${(entryGzip / 1024).toFixed(1)} KiB gzipped, budget ${BUDGET_KIB} KiB — ${verdict ? 'OK' : 'OVER BUDGET'}`,
);
if (!verdict && !reportOnly) process.exit(1);
