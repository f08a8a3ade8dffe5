/**
 * CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, the one of gzip, PNG and zlib.crc32), on bytes, for the
 * browser as much as for Node. Incremental: pass the previous result to continue over the next bytes.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before them; 0 to start). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
