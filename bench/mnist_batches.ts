/**
 * MNIST minibatches for the benchmarks, materialised in memory before any clock starts: the same pipeline as
 * training (one shuffle, dynamic binarization by step), so "in memory" differs from "streamed" only in where
 * the rows come from.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { mnistSource } from '../src/data/mnist.node.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { readAllRows } from '../src/data/read_rows.ts';
import { STREAM_START } from '../src/stream/positioned_batch.ts';
import { trainingStream } from '../src/stream/training_stream.ts';

/** The first `count` training minibatches of B rows (seed 1), each its own array. */
export async function mnistBatches(B: number, count: number): Promise<Float32Array[]> {
  const { values, D } = await readAllRows(mnistSource('train'));
  const stream = trainingStream({ source: memorySource(values, { D }), B, seed: 1, shuffleWindowRows: 60_000, binarize: true, epochs: Infinity, start: STREAM_START });
  const batches = await firstValueFrom(stream.pipe(take(count), toArray()));
  return batches.map((b) => b.data);
}
