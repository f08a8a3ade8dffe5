/**
 * A 3×5 pixel font for the few characters plot labels need (digits, sign, point, k/M suffixes, and the words
 * TRAIN and TEST): each glyph is 5 rows of 3 bits, most significant bit on the left.
 */
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 2, 2], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
  '-': [0, 0, 7, 0, 0], '.': [0, 0, 0, 0, 2], ' ': [0, 0, 0, 0, 0], k: [4, 5, 6, 5, 5], M: [5, 7, 7, 5, 5],
  T: [7, 2, 2, 2, 2], R: [6, 5, 6, 5, 5], A: [2, 5, 7, 5, 5], I: [7, 2, 2, 2, 7], N: [5, 7, 7, 7, 5],
  E: [7, 4, 6, 4, 7], S: [7, 4, 7, 1, 7], Z: [7, 1, 2, 4, 7], '=': [0, 7, 0, 7, 0],
};

/** Draws `text` with its top-left corner at (x, y), `scale` pixels per font pixel, in grey level `value`. */
export function drawText(pixels: Uint8Array, width: number, text: string, x: number, y: number, value: number, scale = 2): void {
  let cursor = x;
  for (const ch of text) {
    const glyph = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? GLYPHS[' '];
    glyph.forEach((bits, row) => {
      for (let col = 0; col < 3; col++) {
        if (!((bits >> (2 - col)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) {
          const px = cursor + col * scale + dx;
          const py = y + row * scale + dy;
          if (px >= 0 && px < width && py >= 0 && (py + 1) * width <= pixels.length) pixels[py * width + px] = value;
        }
      }
    });
    cursor += 4 * scale;
  }
}

/** Width in pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale = 2): number {
  return text.length * 4 * scale - scale;
}
