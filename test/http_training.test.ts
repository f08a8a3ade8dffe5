// A training run on HTTP shards (src/data/http_shards.ts through src/run/training_run.ts, on the GPU) against a
// local server that drops connections mid-body (test/servers/flaky_http_server.ts): trained through 3 forced
// drops, each resumed with Range + If-Match, a tiny model ends with parameters and optimizer state bit-identical
// to those of an unbroken run — the issue-15 target "a shard list trained through 3 forced connection drops
// gives bit-identical results".
import * as assert from 'uvu/assert';
import { lastValueFrom, toArray } from 'rxjs';
import { gpuSuite } from './gpu_suite.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { startFlakyHttpServer, type FlakyHttpServer } from './servers/flaky_http_server.ts';
import { httpShardsSource } from '../src/data/http_shards.ts';
import { trainingRun } from '../src/run/training_run.ts';
import { Trainer, type TrainerSnapshot } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';
import type { GpuContext } from '../src/gpu/device.ts';

const test = gpuSuite('http_training');
const D = 8;
const ROWS_PER_SHARD = 60;
const SHARDS = 4;
const CONFIG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, D, hidden: [6], latent: 2, batch: 10, seed: 5 };
/** Bytes of a shard: the .npy header (128) and 60 rows of 8 float32. A drop after 700 bytes hits each shard's first response and its first resume. */
const DROP_AFTER_BYTES = 700;

let server: FlakyHttpServer;
let pattern: string;

test.before(async () => {
  server = await startFlakyHttpServer();
  for (let i = 0; i < SHARDS; i++)
    server.put(
      `/data/shard-${i}.npy`,
      npyBytes('<f4', [ROWS_PER_SHARD, D], seededUniform(200 + i, ROWS_PER_SHARD * D)),
    );
  pattern = `${server.url}/data/shard-{0..${SHARDS - 1}}.npy`;
});
test.after(async () => {
  await server?.close();
});

/** Two epochs of the shards (seeded shard order, shuffle window, binarized minibatches), no checkpoints. */
async function train(gpu: GpuContext): Promise<TrainerSnapshot> {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const source = httpShardsSource(pattern, { seed: CONFIG.seed, backoffMs: 5 });
    const events = await lastValueFrom(
      trainingRun(trainer, { source, epochs: 2, shuffleWindow: 50, metricsEvery: 0 }).pipe(toArray()),
    );
    assert.is(events.filter((e) => e.type === 'step').length, (2 * (SHARDS * ROWS_PER_SHARD)) / CONFIG.batch);
    return await trainer.snapshot();
  } finally {
    trainer.destroy();
  }
}

test('trained through 3 dropped connections, the parameters and optimizer state are bit-identical to an unbroken run', async ({
  gpu,
}) => {
  const initial = await Trainer.create(CONFIG, { gpu });
  const start = await initial.snapshot();
  initial.destroy();

  server.requests.length = 0;
  const unbroken = await train(gpu);
  assert.ok(
    server.requests.every((r) => r.status === 200),
    'the unbroken run had no resumed request',
  );

  server.requests.length = 0;
  server.dropNext(3, DROP_AFTER_BYTES);
  const broken = await train(gpu);
  const resumed = server.requests.filter((r) => r.range !== null);
  assert.is(resumed.length, 3, `3 reads resumed with Range: ${JSON.stringify(server.requests)}`);
  assert.ok(
    resumed.every((r) => r.status === 206 && r.ifMatch !== null),
    'each resumed with If-Match and got 206',
  );
  assert.is(new Set(resumed.map((r) => r.path)).size, 2, 'the drops hit two shards');

  assert.is(broken.step, unbroken.step);
  assert.equal(
    broken.tensors.map((t) => t.name),
    unbroken.tensors.map((t) => t.name),
  );
  for (let i = 0; i < unbroken.tensors.length; i++) {
    const [a, b] = [broken.tensors[i], unbroken.tensors[i]];
    assert.ok(
      Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
        Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
      ),
      `${a.name}: the same bits`,
    );
  }
  // The comparison has teeth: training moved every parameter tensor away from its initial values.
  for (let i = 0; i < start.tensors.length; i++) {
    if (start.tensors[i].name.startsWith('optimizer.')) continue;
    assert.not.equal(
      Array.from(unbroken.tensors[i].data),
      Array.from(start.tensors[i].data),
      `${start.tensors[i].name} changed by training`,
    );
  }
});

test.run();
