/** jsQR is ~50 KB gzipped: loaded the first time something is scanned, not with the till's page. */
let decoder: Promise<typeof import('jsqr').default> | undefined;
export function loadQrDecoder(): Promise<typeof import('jsqr').default> {
  decoder ??= import('jsqr').then((m) => m.default);
  return decoder;
}

/** Reads a QR code from a photo or image file the user picked (decoded in the page; nothing is uploaded). */
export async function readQrFromFile(file: Blob): Promise<string | undefined> {
  const jsQR = await loadQrDecoder();
  const bitmap = await createImageBitmap(file);
  try {
    return readQrFromSource(jsQR, bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

let canvas: HTMLCanvasElement | undefined;

/** Reads a QR code from a video frame or image, scaled down to at most 1280 px on its long side. */
export function readQrFromSource(jsQR: Awaited<ReturnType<typeof loadQrDecoder>>, source: CanvasImageSource, width: number, height: number): string | undefined {
  const scale = Math.min(1, 1280 / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  // one canvas for every frame (the camera is read five times a second)
  canvas ??= document.createElement('canvas');
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return undefined;
  ctx.drawImage(source, 0, 0, w, h);
  const img = ctx.getImageData(0, 0, w, h);
  return jsQR(img.data, w, h, { inversionAttempts: 'attemptBoth' })?.data || undefined;
}
