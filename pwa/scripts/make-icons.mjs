// Draws the app icons (a white house whose windows form a 2×2 grid, on the
// theme green) and writes them as PNG with nothing but node:zlib, so the
// project needs no image tool and downloads nothing. Run: npm run icons
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');
const BG = [0x0b, 0x6e, 0x4f];
const FG = [0xff, 0xff, 0xff];
const ACCENT = [0xf2, 0xb7, 0x05];

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Colour of the house motif at (u, v) in its own unit box, or null.
function house(u, v) {
  const inRoof = v >= 0.05 && v <= 0.46 && Math.abs(u - 0.5) <= ((v - 0.05) / 0.41) * 0.56;
  const inBody = u >= 0.14 && u <= 0.86 && v >= 0.44 && v <= 0.96;
  if (!inRoof && !inBody) return null;
  const winX = (u >= 0.26 && u <= 0.47) || (u >= 0.53 && u <= 0.74);
  const winY = (v >= 0.54 && v <= 0.72) || (v >= 0.76 && v <= 0.92);
  if (inBody && winX && winY) return u > 0.5 && v > 0.75 ? ACCENT : BG;
  return FG;
}

// kind: 'any' (rounded square, transparent corners), 'maskable' and 'opaque'
// (full bleed; maskable keeps the motif inside the 80 % safe circle).
function draw(size, kind) {
  const px = Buffer.alloc(size * size * 4);
  const ss = 4;
  const motif = kind === 'maskable' ? [0.27, 0.46] : [0.18, 0.64]; // offset, scale
  const radius = 0.22;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const fx = (x + (sx + 0.5) / ss) / size;
          const fy = (y + (sy + 0.5) / ss) / size;
          if (kind === 'any') {
            const cx = Math.min(Math.max(fx, radius), 1 - radius);
            const cy = Math.min(Math.max(fy, radius), 1 - radius);
            if ((fx - cx) ** 2 + (fy - cy) ** 2 > radius ** 2) continue;
          }
          const c = house((fx - motif[0]) / motif[1], (fy - motif[0] + 0.01) / motif[1]) || BG;
          r += c[0]; g += c[1]; b += c[2]; a += 255;
        }
      }
      const n = ss * ss;
      const covered = a / 255;
      const i = (y * size + x) * 4;
      px[i] = covered ? Math.round(r / covered) : 0;
      px[i + 1] = covered ? Math.round(g / covered) : 0;
      px[i + 2] = covered ? Math.round(b / covered) : 0;
      px[i + 3] = Math.round(a / n);
    }
  }
  return encodePng(size, px);
}

mkdirSync(OUT, { recursive: true });
const files = [
  ['icon-192.png', 192, 'any'],
  ['icon-512.png', 512, 'any'],
  ['maskable-192.png', 192, 'maskable'],
  ['maskable-512.png', 512, 'maskable'],
  ['apple-touch-icon.png', 180, 'opaque'],
  ['favicon-32.png', 32, 'any'],
];
for (const [name, size, kind] of files) {
  const png = draw(size, kind);
  writeFileSync(join(OUT, name), png);
  console.log(`${name.padEnd(22)} ${size}×${size} ${kind.padEnd(8)} ${png.length} B`);
}
