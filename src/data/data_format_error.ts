/**
 * The error of input bytes that are not what their format says — an IDX or .npy file, raw rows, a stream's
 * entry, a safetensors checkpoint — naming the source, the byte offset and what was expected. One class for
 * every reader, so a caller catches one thing.
 */
export class DataFormatError extends Error {
  constructor(source: string, offset: number, message: string) {
    super(`${source}: at byte ${offset}: ${message}`);
    this.name = 'DataFormatError';
  }
}
