// Node-only: writes a grey image as an 8-bit PNG (encoded by fast-png), atomically like every output file.
import { encode } from 'fast-png';
import type { GreyImage } from './image_grid.ts';
import { writeFileAtomic } from './output_files.node.ts';

/** Writes `image` to `path` (temporary file, fsync, rename; never through a link); throws an OutputFileError naming `path`. */
export function writePng(path: string, image: GreyImage): void {
  writeFileAtomic(
    path,
    encode({ width: image.width, height: image.height, data: image.pixels, channels: 1, depth: 8 }),
  );
}
