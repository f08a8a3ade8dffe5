/**
 * Lays square grey-level images (values in [0, 1], side² pixels each) out as one 8-bit grey image: `cols`
 * per row, separated by `pad` pixels of mid-grey, so a page or a PNG shows a sheet of digits.
 */
export interface GreyImage {
  width: number;
  height: number;
  /** width × height bytes, row-major, 0 = black. */
  pixels: Uint8Array;
}

/** The side of a square image of D pixels, or null when D is not a square. */
export function squareSide(D: number): number | null {
  const side = Math.round(Math.sqrt(D));
  return side * side === D ? side : null;
}

export function imageGrid(images: Float32Array, D: number, cols: number, pad = 1): GreyImage {
  const side = squareSide(D);
  if (side === null) throw new Error(`aevb: ${D} values per row are not a square image`);
  const count = images.length / D;
  const rows = Math.ceil(count / cols);
  const width = cols * side + (cols + 1) * pad;
  const height = rows * side + (rows + 1) * pad;
  const pixels = new Uint8Array(width * height).fill(128);
  for (let n = 0; n < count; n++) {
    const left = pad + (n % cols) * (side + pad);
    const top = pad + Math.floor(n / cols) * (side + pad);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = images[n * D + y * side + x];
        pixels[(top + y) * width + left + x] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
    }
  }
  return { width, height, pixels };
}

/** Interleaves originals and their reconstructions row by row: originals on odd rows, reconstructions below. */
export function pairRows(
  originals: Float32Array,
  reconstructions: Float32Array,
  D: number,
  cols: number,
): Float32Array {
  const count = originals.length / D;
  const out = new Float32Array(count * 2 * D);
  for (let r = 0; r * cols < count; r++) {
    const n = Math.min(cols, count - r * cols);
    out.set(originals.subarray(r * cols * D, (r * cols + n) * D), 2 * r * cols * D);
    out.set(reconstructions.subarray(r * cols * D, (r * cols + n) * D), (2 * r + 1) * cols * D);
  }
  return out;
}

/**
 * `image` scaled up by a whole `factor`, each pixel a factor × factor block (nearest neighbour: the pixels stay
 * sharp, as a digit's pixels are the data).
 */
export function upscaled(image: GreyImage, factor: number): GreyImage {
  if (!Number.isInteger(factor) || factor < 1)
    throw new Error(`aevb: an image is scaled up by a whole factor ≥ 1, got ${factor}`);
  if (factor === 1) return image;
  const width = image.width * factor;
  const height = image.height * factor;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const from = Math.floor(y / factor) * image.width;
    const row = y * width;
    for (let x = 0; x < width; x++) pixels[row + x] = image.pixels[from + Math.floor(x / factor)];
  }
  return { width, height, pixels };
}

/** The whole factor that brings an image `width` pixels wide to at least `minWidth` (1 when it is already). */
export function upscaleFactor(width: number, minWidth: number): number {
  return Math.max(1, Math.ceil(minWidth / width));
}
