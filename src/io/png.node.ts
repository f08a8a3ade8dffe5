// Node-only: writes a grey image as an 8-bit PNG (encoded by fast-png), atomically like every output file.
import { renameSync, writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import type { GreyImage } from './image_grid.ts';

export function writePng(path: string, image: GreyImage): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, encode({ width: image.width, height: image.height, data: image.pixels, channels: 1, depth: 8 }));
  renameSync(temporary, path);
}
