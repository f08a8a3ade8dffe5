/**
 * The recognition model over a row source of any size: q(z|x) of every row, streamed out block by block.
 * Rows are gathered (or cut) into chunks of `chunk` rows, scaled into [0, 1] as training scales them
 * (RowBlock.scale), and each chunk runs through the encoder on the GPU; with `sample`, the same pass draws
 * z = μ + σ ⊙ ε with the reparameterization kernel.
 *
 * Inputs are encoded as they are, grey levels included, never binarized: the posterior of a grey-level image
 * is the usual embedding (what the PyTorch and Keras VAE examples encode), it is deterministic (the same
 * image always gives the same μ), and a grey level is the mean of the binary images a binarizing run trained
 * on. Binarize the rows in the source first if a model's binary inputs are wanted.
 *
 * An AsyncIterable, not an Observable, because the consumer sets the pace: the next chunk is read and encoded
 * only when the consumer asks for the next block, so a slow writer holds back the reading with no demand to
 * wire, and `for await` is all a caller writes. (RxJS's `from(encodeSource(...))` makes it an Observable.)
 * Memory: one chunk of input rows and its results, plus the block the source is cutting — whatever the
 * source's length. Breaking out of the loop closes the source.
 *
 * ε of row r (counting from the pass's first row) comes from Philox(seed, step = r, stream encodingNoise), so
 * a sampled z depends on the seed and the row alone, never on the chunk size.
 */
import { readFloat32 } from '../gpu/buffers.ts';
import { submitDispatches, type KernelDispatch } from '../kernels/kernel.ts';
import { reparameterizeForward } from '../kernels/reparameterize.ts';
import { BufferSet } from '../model/buffer_set.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { VaeEncoder } from '../model/vae_encoder.ts';
import { philoxNormals } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { RowSource } from '../data/row_source.ts';

/** Rows per GPU pass when no chunk is given: large enough to keep the GPU busy, 3 MB of MNIST input. */
export const DEFAULT_ENCODE_CHUNK = 1000;

export interface EncodeSourceOptions {
  /** Rows per GPU pass, and the most input rows held at once. Default DEFAULT_ENCODE_CHUNK. */
  chunk?: number;
  /** Also draw z = μ + σ ⊙ ε, one z per row. Default false. */
  sample?: boolean;
  /** Seeds ε when sampling. Default the model's config.seed. */
  seed?: number;
}

/** What encodeSource reads of a model: its buffers and, for ε, its seed. A Vae is one. */
export interface EncodableModel extends ModelBuffers {
  readonly config: { readonly seed: number };
}

/** The posterior of `rows` consecutive rows of the source, starting at row `first`. */
export interface EncodedBlock {
  /** Index of the block's first row in the pass over the source. */
  first: number;
  rows: number;
  /** Posterior means μ (rows, Z), row-major. */
  mu: Float32Array;
  /** Posterior log-variances log σ² (rows, Z): the encoder's soft-bounded values, in (−15, 15). */
  logVar: Float32Array;
  /** With `sample`: z = μ + σ ⊙ ε (rows, Z); else null. */
  z: Float32Array | null;
}

/** The largest row index ε can be drawn for: the Philox step counter is a u32. */
const MAX_SAMPLED_ROW = 0xffffffff;

/** The GPU plan for chunks of B rows: the encoder and, when sampling, ε and z. */
interface ChunkPass {
  encoder: VaeEncoder;
  dispatches: KernelDispatch[];
  noise: { eps: GPUBuffer; z: GPUBuffer; buffers: BufferSet } | null;
}

/**
 * q(z|x) of every row of one pass over `source`, in blocks of `chunk` rows (the last may be shorter), in the
 * source's order. Throws naming the source when its rows are not the model's D values long.
 *
 * @example
 * for await (const { first, rows, mu, logVar } of encodeSource(vae, fileSource('test.npy'), { chunk: 500 })) { … }
 */
export async function* encodeSource(
  vae: EncodableModel,
  source: RowSource,
  options: EncodeSourceOptions = {},
): AsyncGenerator<EncodedBlock> {
  const { D, Z } = vae.architecture;
  const chunk = options.chunk ?? DEFAULT_ENCODE_CHUNK;
  const seed = options.seed ?? vae.config.seed;
  const sample = options.sample ?? false;
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`aevb: chunk must be a positive integer, got ${chunk}`);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`aevb: seed must be a non-negative integer, got ${seed}`);
  const input = new Float32Array(chunk * D);
  // One plan per distinct chunk size (at most two: full chunks and the last one).
  const passes = new Map<number, ChunkPass>();
  const passFor = (B: number): ChunkPass => {
    let pass = passes.get(B);
    if (pass === undefined) {
      const encoder = new VaeEncoder(vae, B, `encode source B=${B}`);
      const dispatches = [...encoder.dispatches];
      let noise: ChunkPass['noise'] = null;
      if (sample) {
        const buffers = new BufferSet(vae.gpu);
        noise = {
          eps: buffers.storage(`encode source eps B=${B}`, B * Z),
          z: buffers.storage(`encode source z B=${B}`, B * Z),
          buffers,
        };
        dispatches.push(
          reparameterizeForward(
            vae.gpu,
            { B, Z, stats: { buffer: encoder.stats }, eps: { buffer: noise.eps }, z: { buffer: noise.z } },
            `encode source reparameterize B=${B}`,
          ),
        );
      }
      pass = { encoder, dispatches, noise };
      passes.set(B, pass);
    }
    return pass;
  };
  const encodeChunk = async (first: number, B: number): Promise<EncodedBlock> => {
    const pass = passFor(B);
    const queue = vae.gpu.device.queue;
    queue.writeBuffer(pass.encoder.x, 0, input.subarray(0, B * D));
    if (pass.noise !== null) {
      if (first + B - 1 > MAX_SAMPLED_ROW) {
        throw new Error(
          `${source.name}: row ${first + B - 1} is past the last row z can be sampled for ` +
            `(${MAX_SAMPLED_ROW}: ε is drawn per row index); encode without sampling, or split the data`,
        );
      }
      queue.writeBuffer(pass.noise.eps, 0, epsilon(seed, first, B, Z));
    }
    submitDispatches(vae.gpu, pass.dispatches, 'encode source');
    const stats = await readFloat32(vae.gpu, { buffer: pass.encoder.stats }, B * 2 * Z);
    const z = pass.noise === null ? null : await readFloat32(vae.gpu, { buffer: pass.noise.z }, B * Z);
    const mu = new Float32Array(B * Z);
    const logVar = new Float32Array(B * Z);
    for (let b = 0; b < B; b++) {
      mu.set(stats.subarray(b * 2 * Z, b * 2 * Z + Z), b * Z);
      logVar.set(stats.subarray(b * 2 * Z + Z, (b + 1) * 2 * Z), b * Z);
    }
    return { first, rows: B, mu, logVar, z };
  };
  try {
    let first = 0;
    let filled = 0;
    for await (const block of source.open()) {
      if (block.D !== D)
        throw new Error(`${source.name}: rows have ${block.D} values, but the model encodes rows of D = ${D}`);
      for (let r = 0; r < block.rows;) {
        const take = Math.min(block.rows - r, chunk - filled);
        const from = block.values.subarray(r * D, (r + take) * D);
        for (let i = 0; i < from.length; i++) input[filled * D + i] = from[i] * block.scale;
        filled += take;
        r += take;
        if (filled === chunk) {
          yield await encodeChunk(first, chunk);
          first += chunk;
          filled = 0;
        }
      }
    }
    if (filled > 0) yield await encodeChunk(first, filled);
  } finally {
    for (const pass of passes.values()) {
      pass.encoder.destroy();
      pass.noise?.buffers.destroy();
    }
  }
}

/** ε (B, Z) for rows first … first + B − 1: row r's Z normals from Philox(seed, r, encodingNoise). */
function epsilon(seed: number, first: number, B: number, Z: number): Float32Array {
  const eps = new Float32Array(B * Z);
  for (let b = 0; b < B; b++) eps.set(philoxNormals(seed, first + b, RANDOM_STREAMS.encodingNoise, Z), b * Z);
  return eps;
}
