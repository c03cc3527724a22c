// Photos are shrunk on the phone before upload: a camera picture of several
// MB would be slow on mobile data and over the server's 1 MiB limit.
export const MAX_SIDE = 1280;
export const TARGET_BYTES = 300 * 1024;
const QUALITIES = [0.8, 0.7, 0.6, 0.5];

async function decode(file) {
  if (typeof createImageBitmap === 'function') {
    try {
      // Honours the EXIF orientation, so portrait photos stay upright.
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      /* older engines: fall back to an <img> */
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function toJpeg(canvas, quality) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('toBlob failed'))), 'image/jpeg', quality),
  );
}

/**
 * A JPEG no larger than MAX_SIDE px on its long side, aiming under
 * TARGET_BYTES (lower quality first, then smaller). Resolves {blob, width, height}.
 */
export async function shrinkPhoto(file) {
  const image = await decode(file);
  const width = image.width || image.naturalWidth;
  const height = image.height || image.naturalHeight;
  let scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  let blob = null;
  for (let round = 0; round < 3; round += 1) {
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    ctx.fillStyle = '#ffffff'; // transparent PNGs become white, not black
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    for (const quality of QUALITIES) {
      blob = await toJpeg(canvas, quality);
      if (blob.size <= TARGET_BYTES) break;
    }
    if (blob.size <= TARGET_BYTES) break;
    scale *= 0.75;
  }
  if (typeof image.close === 'function') image.close();
  return { blob, width: canvas.width, height: canvas.height };
}
