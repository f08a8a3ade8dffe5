// The streaming encoder (src/eval/encode_source.ts): over sources whose blocks are smaller and larger than the
// chunk it gives the rows' q(z|x) exactly as Vae.encode does for the same rows held in memory, in order, in
// blocks of the chunk; a sampled z is μ + σ ⊙ ε with ε drawn per row from the seed (so the chunk size never
// changes it); it reads no further than it is asked (an unbounded source is fine) and closes the source when
// the consumer stops; rows of the wrong length are refused naming the source.
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import { gpuSuite, rejectsWith } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { Vae, type ModelConfig } from '../src/vae/vae.ts';
import { encodeSource, type EncodedBlock } from '../src/eval/encode_source.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { syntheticSource } from '../src/data/synthetic_source.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { philoxNormals } from '../src/random/philox.ts';
import { RANDOM_STREAMS } from '../src/random/streams.ts';

const test = gpuSuite('encode source');
const MODEL: ModelConfig = { D: 10, hidden: [7], latent: 3, activation: 'tanh', init: 'glorot', seed: 21 };
const ROWS = 47;
/** Bytes, so the source's 1/255 scale is exercised. */
const BYTES = Uint8Array.from(seededUniform(8, ROWS * MODEL.D), (u) => Math.floor(u * 256));
const SCALED = Float32Array.from(BYTES, (v) => v / 255);

async function collect(blocks: AsyncIterable<EncodedBlock>): Promise<EncodedBlock[]> {
  const out: EncodedBlock[] = [];
  for await (const b of blocks) out.push(b);
  return out;
}

const concat = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

for (const blockRows of [3, 25]) {
  test(`source blocks of ${blockRows} rows, chunks of 10: the same μ and log σ² as Vae.encode, in blocks of the chunk`, async ({
    gpu,
  }) => {
    const vae = await Vae.create(MODEL, { gpu });
    try {
      const expected = await vae.encode(SCALED);
      const blocks = await collect(encodeSource(vae, memorySource(BYTES, { D: MODEL.D, blockRows }), { chunk: 10 }));
      assert.equal(
        blocks.map((b) => [b.first, b.rows]),
        [
          [0, 10],
          [10, 10],
          [20, 10],
          [30, 10],
          [40, 7],
        ],
      );
      assert.ok(
        blocks.every((b) => b.z === null),
        'no z without sample',
      );
      assert.equal(Array.from(concat(blocks.map((b) => b.mu))), Array.from(expected.mu));
      assert.equal(Array.from(concat(blocks.map((b) => b.logVar))), Array.from(expected.logVar));
    } finally {
      vae.destroy();
    }
  });
}

test("sample: z = μ + σ ⊙ ε with row r's ε from Philox(seed, r, encodingNoise), whatever the chunk", async ({
  gpu,
}) => {
  const vae = await Vae.create(MODEL, { gpu });
  try {
    const Z = MODEL.latent;
    const { mu, logVar } = await vae.encode(SCALED);
    const source = memorySource(BYTES, { D: MODEL.D, blockRows: 6 });
    const z4 = concat(
      (await collect(encodeSource(vae, source, { chunk: 4, sample: true, seed: 77 }))).map((b) => b.z!),
    );
    const z50 = concat(
      (await collect(encodeSource(vae, source, { chunk: 50, sample: true, seed: 77 }))).map((b) => b.z!),
    );
    assert.equal(Array.from(z4), Array.from(z50), 'chunks of 4 or one chunk: the same z');
    const expected = new Float64Array(ROWS * Z);
    for (let r = 0; r < ROWS; r++) {
      const eps = philoxNormals(77, r, RANDOM_STREAMS.encodingNoise, Z);
      for (let j = 0; j < Z; j++) expected[r * Z + j] = mu[r * Z + j] + Math.exp(0.5 * logVar[r * Z + j]) * eps[j];
    }
    assertClose(z4, expected, { atol: 1e-6, rtol: 1e-5, label: 'z' });
    const other = concat(
      (await collect(encodeSource(vae, source, { chunk: 4, sample: true, seed: 78 }))).map((b) => b.z!),
    );
    assert.ok(
      other.some((v, i) => v !== z4[i]),
      'another seed, another z',
    );
    const byDefault = concat((await collect(encodeSource(vae, source, { chunk: 4, sample: true }))).map((b) => b.z!));
    const withModelSeed = concat(
      (await collect(encodeSource(vae, source, { chunk: 4, sample: true, seed: MODEL.seed }))).map((b) => b.z!),
    );
    assert.equal(Array.from(byDefault), Array.from(withModelSeed), "the seed defaults to the model's");
  } finally {
    vae.destroy();
  }
});

test('reads only what is asked for: an unbounded source, stopped after 3 blocks, is closed', async ({ gpu }) => {
  const vae = await Vae.create(MODEL, { gpu });
  try {
    const unbounded = syntheticSource({ D: MODEL.D, rows: Infinity, seed: 4, blockRows: 64 });
    let blocksRead = 0;
    let closed = false;
    const counted: RowSource = {
      name: 'counted',
      async *open() {
        try {
          for await (const block of unbounded.open()) {
            blocksRead++;
            yield block;
          }
        } finally {
          closed = true;
        }
      },
    };
    let seen = 0;
    for await (const block of encodeSource(vae, counted, { chunk: 100 })) {
      assert.is(block.rows, 100);
      if (++seen === 3) break;
    }
    assert.ok(closed, 'the source was closed');
    assert.is(blocksRead, 5, '300 rows need 5 blocks of 64, and no more were read');
  } finally {
    vae.destroy();
  }
});

test('rows of the wrong length and bad options are refused, naming the source or the option', async ({ gpu }) => {
  const vae = await Vae.create(MODEL, { gpu });
  try {
    await rejectsWith(
      () => collect(encodeSource(vae, memorySource(new Float32Array(24), { D: 12, name: 'wide.npy' }))),
      /wide\.npy: rows have 12 values, but the model encodes rows of D = 10/,
    );
    await rejectsWith(
      () => collect(encodeSource(vae, memorySource(BYTES, { D: 10 }), { chunk: 0 })),
      /chunk must be a positive integer, got 0/,
    );
    await rejectsWith(
      () => collect(encodeSource(vae, memorySource(BYTES, { D: 10 }), { sample: true, seed: -1 })),
      /seed must be a non-negative integer, got -1/,
    );
  } finally {
    vae.destroy();
  }
});

test.run();
