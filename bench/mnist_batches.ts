/**
 * MNIST minibatches for the benchmarks, materialised in memory before any clock starts: the same pipeline as
 * training (one shuffle, dynamic binarization by step), so "in memory" differs from "streamed" only in where
 * the rows come from.
 */
import { mnistSource } from '../src/data/mnist.node.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { readAllRows } from '../src/data/read_rows.ts';
import { streamBatches } from '../test/stream_batches.ts';

/** The first `count` training minibatches of B rows (seed 1), each its own array. */
export async function mnistBatches(B: number, count: number): Promise<Float32Array[]> {
  const { values, D } = await readAllRows(mnistSource('train'));
  const batches = await streamBatches({
    source: memorySource(values, { D }),
    B,
    seed: 1,
    shuffleWindowRows: 60_000,
    binarize: true,
    epochs: Infinity,
    count,
  });
  return batches.map((b) => b.data);
}
