// The training run on a Redis stream (a real redis-server and the GPU): rows are acknowledged only once a
// checkpoint holding them has been written — through a shuffle window, rows trained out of order are held back
// by the low-water mark — and a run that dies between checkpoints, resumed from its last one under the same
// consumer name, trains every row that was not in that checkpoint: nothing is lost. Through a validation split
// (--validation-split) the training rows acknowledge too, the held-out rows with them.
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { lastValueFrom, toArray } from 'rxjs';
import { gpuSuite } from './gpu_suite.ts';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { redisSource, type RedisStreamSource } from '../src/data/redis/source.node.ts';
import { publishRows } from '../src/data/redis/publish.node.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { splitValidation, validationUniform } from '../src/data/validation_split.ts';
import { decodeEntry } from '../src/data/redis/entry.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';
import { trainingRun, type TrainingRunOptions } from '../src/run/training_run.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint_format.ts';

const test = gpuSuite('redis_training_run');
const D = 4;
const ROWS = 400;
/** Rows per stream entry. */
const PACK = 7;
const CONFIG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, D, hidden: [6], latent: 2, batch: 10, seed: 3 };
/** Row i says which it is in its first value (exact in float32), the rest in [0, 1]. */
const rowOf = (i: number) => [i / 1024, 0.25, 0.5, 0.75];
const idOf = (values: ArrayLike<number>) => Math.round(values[0] * 1024);

let server: RedisServer | null = null;
test.before(async () => {
  if (redisServerInstalled('redis_training_run')) server = await startRedisServer();
});
test.after(async () => {
  await server?.stop();
});

async function publish(stream: string, pack = PACK): Promise<void> {
  const values = new Float32Array(ROWS * D);
  for (let i = 0; i < ROWS; i++) values.set(rowOf(i), i * D);
  await publishRows(memorySource(values, { D }), `${server!.url}/${stream}`, { packRows: pack });
}

/** The rows still pending (delivered, never acknowledged) in the group. */
async function pendingRows(stream: string, group: string): Promise<number[]> {
  const redis = new Redis(server!.url);
  try {
    const pending = (await redis.xpending(stream, group, '-', '+', 10_000)) as Array<[string, string, number, number]>;
    const rows: number[] = [];
    for (const [id] of pending) {
      const [[entryId, fields]] = (await redis.xrangeBuffer(stream, id, id)) as Array<[Buffer, Buffer[]]>;
      const block = decodeEntry(stream, entryId.toString(), fields, D);
      for (let r = 0; r < block.rows; r++) rows.push(idOf(block.values.subarray(r * D, (r + 1) * D)));
    }
    return rows.sort((a, b) => a - b);
  } finally {
    redis.disconnect();
  }
}

/** A trainer whose minibatches are recorded by row number (the rows are not binarized). */
async function recordingTrainer(gpu: Trainer['gpu'], trained: number[]): Promise<Trainer> {
  const trainer = await Trainer.create(CONFIG, { gpu });
  const enqueue = trainer.enqueueStep.bind(trainer);
  trainer.enqueueStep = (batch) => {
    for (let r = 0; r < CONFIG.batch; r++) trained.push(idOf(batch.subarray(r * D, (r + 1) * D)));
    return enqueue(batch);
  };
  return trainer;
}

const sourceUrl = (stream: string) =>
  `${server!.url}/${stream}?group=g&consumer=trainer-1&end-after-idle=1500&claim-after=60000`;
const options = (source: RedisStreamSource, saved: Checkpoint[]): TrainingRunOptions => ({
  source,
  epochs: 1,
  shuffleWindow: 50,
  binarize: false,
  metricsEvery: 0,
  checkpoints: {
    every: 7,
    save: (c) => {
      saved.push(decodeCheckpoint(encodeCheckpoint(c), 'memory'));
    },
  },
});

test('rows are acknowledged only when a checkpoint holds them; a run killed between checkpoints loses none', async ({
  gpu,
}) => {
  if (server === null) return;
  const stream = 'train-rows';
  await publish(stream);
  // The first run dies after step 24: checkpoints at 7, 14, 21 were written, steps 22–24 were not saved.
  const trained: number[] = [];
  const saved: Checkpoint[] = [];
  const first = await recordingTrainer(gpu, trained);
  const firstSource = redisSource(sourceUrl(stream));
  await new Promise<void>((resolve, reject) => {
    const subscription = trainingRun(first, options(firstSource, saved)).subscribe({
      next: (e) => {
        if (e.type === 'step' && e.step === 24) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  await first.settle();
  first.destroy();
  firstSource.abandon();
  const lastCheckpoint = saved.at(-1)!;
  assert.is(lastCheckpoint.snapshot.step, 21);
  const mark = lastCheckpoint.run!.acknowledged!.rowsConsumed;
  assert.ok(mark <= 21 * CONFIG.batch, `the mark (${mark}) counts no row past the checkpoint's steps`);
  const pending = await pendingRows(stream, 'g');
  const inCheckpoint = new Set(trained.slice(0, 21 * CONFIG.batch));
  for (const row of trained.slice(21 * CONFIG.batch))
    assert.ok(pending.includes(row), `row ${row}, trained after the last checkpoint, is still pending`);
  // Delivered in publishing order, a row's number is its delivery number. An entry (of 7 rows) is acknowledged
  // exactly when all its rows are in the checkpoint; every other entry read stays pending.
  const entryOf = (row: number) => Math.floor(row / PACK);
  const read = Math.max(...trained) + 1;
  for (let entry = 0; entry * PACK < read; entry++) {
    const rows = Array.from({ length: PACK }, (_, r) => entry * PACK + r).filter((r) => r < ROWS);
    const inIt = rows.every((r) => inCheckpoint.has(r));
    assert.is(
      rows.some((r) => pending.includes(r)),
      !inIt,
      `entry ${entry} (rows ${rows[0]}–${rows.at(-1)}) is ${inIt ? 'acknowledged' : 'pending'}`,
    );
  }
  assert.ok(
    pending.every((r) => !inCheckpoint.has(r) || rowsOfEntryNotAllIn(entryOf(r))),
    'a pending row in the checkpoint shares its entry with one that is not',
  );
  assert.ok(
    lastCheckpoint.run!.acknowledged!.trainedAbove!.length > 0,
    'rows trained out of order above the mark were acknowledged too',
  );
  function rowsOfEntryNotAllIn(entry: number): boolean {
    return Array.from({ length: PACK }, (_, r) => entry * PACK + r).some((r) => r < ROWS && !inCheckpoint.has(r));
  }

  // Resumed from the last checkpoint under the same consumer name: its pending rows come back first.
  const second = await recordingTrainer(gpu, trained);
  const secondSource = redisSource(sourceUrl(stream));
  try {
    await second.restore(lastCheckpoint.snapshot);
    const events = await lastValueFrom(
      trainingRun(second, { ...options(secondSource, saved), resume: lastCheckpoint.run! }).pipe(toArray()),
    );
    assert.is(events.at(-1)!.type, 'done');
  } finally {
    second.destroy();
    await secondSource.close();
  }
  // Every row is in a saved step (the last checkpoint, or the resumed run's), or still pending: the rows of the
  // resumed pass's last partial minibatch are untrained and stay pending with the rest of their entries, to be
  // delivered again by the next pass (at-least-once). None is lost.
  const covered = new Set([...trained.slice(0, 21 * CONFIG.batch), ...trained.slice(24 * CONFIG.batch)]);
  const stillPending = await pendingRows(stream, 'g');
  const lost = Array.from({ length: ROWS }, (_, i) => i).filter((i) => !covered.has(i) && !stillPending.includes(i));
  assert.equal(lost, [], 'no row is lost');
  assert.ok(
    stillPending.length < CONFIG.batch * PACK,
    `only the entries of the last partial minibatch stay pending, not ${stillPending.length} rows`,
  );
});

/** Rows trained more than once in `trained` (a row trained three times counts twice). */
function trainedTwice(trained: number[]): number {
  const seen = new Set<number>();
  let twice = 0;
  for (const row of trained)
    if (seen.has(row)) twice++;
    else seen.add(row);
  return twice;
}

/** Trains `trainer` from `source` until step `until` (then drops the run as a kill would), or to the end. */
async function train(
  trainer: Trainer,
  source: RedisStreamSource,
  saved: Checkpoint[],
  o: { until?: number; resume?: Checkpoint; steps?: number } = {},
): Promise<void> {
  if (o.resume !== undefined) await trainer.restore(o.resume.snapshot);
  const run = trainingRun(trainer, {
    ...options(source, saved),
    ...(o.steps === undefined ? {} : { steps: o.steps }),
    ...(o.resume === undefined ? {} : { resume: o.resume.run! }),
  });
  if (o.until === undefined) {
    assert.is((await lastValueFrom(run.pipe(toArray()))).at(-1)!.type, 'done');
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const subscription = run.subscribe({
      next: (e) => {
        if (e.type === 'step' && e.step === o.until) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  await trainer.settle();
}

test('row-exact acknowledgement: a run killed between checkpoints and resumed trains again only the rows trained after its last checkpoint; stopped and continued, none', async ({
  gpu,
}) => {
  if (server === null) return;
  // Entries of 25 rows through a 50-row window: most entries have rows on both sides of any checkpoint.
  const pack = 25;
  const entryOf = (row: number) => Math.floor(row / pack);
  const stream = 'row-exact';
  await publish(stream, pack);
  const trained: number[] = [];
  const saved: Checkpoint[] = [];
  // Killed after step 24: checkpoints at 7, 14, 21; steps 22–24 (30 rows) trained and lost with the process.
  const first = await recordingTrainer(gpu, trained);
  const firstSource = redisSource(sourceUrl(stream));
  await train(first, firstSource, saved, { until: 24 });
  first.destroy();
  firstSource.abandon();
  const last = saved.at(-1)!;
  assert.is(last.snapshot.step, 21);
  const inCheckpoint = trained.slice(0, 21 * CONFIG.batch);
  const afterCheckpoint = trained.slice(21 * CONFIG.batch);
  // The coarse acknowledgement (an entry only once all its rows are in a checkpoint) would train these again:
  const coarse = inCheckpoint.filter(
    (r) => !Array.from({ length: pack }, (_, k) => entryOf(r) * pack + k).every((q) => inCheckpoint.includes(q)),
  );
  assert.ok(
    coarse.length > afterCheckpoint.length,
    `the case tells the two apart: ${coarse.length} rows of partly checkpointed entries`,
  );

  const second = await recordingTrainer(gpu, trained);
  const secondSource = redisSource(sourceUrl(stream));
  try {
    await train(second, secondSource, saved, { resume: last });
  } finally {
    second.destroy();
    await secondSource.close();
  }
  const resumed = trained.slice(24 * CONFIG.batch);
  assert.equal(
    resumed.filter((r) => inCheckpoint.includes(r)),
    [],
    'no row of the checkpoint is trained again',
  );
  const twice = trainedTwice(trained);
  assert.ok(
    twice <= afterCheckpoint.length,
    `rows trained twice (${twice}) ≤ rows trained after the last checkpoint (${afterCheckpoint.length})`,
  );
  assert.equal(trainedTwice([...inCheckpoint, ...resumed]), 0, 'the resumed model holds each row once');
  assert.ok(secondSource.stats.rowsSkipped > 0, 'entries came back without their checkpointed rows');
  // After the final checkpoint only entries with a row no saved step trained are pending (the last partial
  // minibatch's rows), and their other rows are recorded: nothing lost, nothing pending that is done.
  const savedRows = new Set([...inCheckpoint, ...resumed]);
  const pending = await pendingRows(stream, 'g');
  const pendingEntries = [...new Set(pending.map(entryOf))];
  for (const entry of pendingEntries) {
    const rows = Array.from({ length: pack }, (_, k) => entry * pack + k).filter((r) => r < ROWS);
    assert.ok(
      rows.some((r) => !savedRows.has(r)),
      `entry ${entry} is pending with all its rows trained`,
    );
  }
  const lost = Array.from({ length: ROWS }, (_, i) => i).filter((i) => !savedRows.has(i) && !pending.includes(i));
  assert.equal(lost, [], 'no row is lost');
  assert.ok(
    ROWS - savedRows.size < CONFIG.batch,
    `only a partial minibatch's rows are left untrained (${ROWS - savedRows.size})`,
  );

  // No crash: a run stopped at step 15 (its final checkpoint) and continued from it trains no row twice.
  const stream2 = 'row-exact-stop';
  await publish(stream2, pack);
  const trained2: number[] = [];
  const saved2: Checkpoint[] = [];
  const third = await recordingTrainer(gpu, trained2);
  const thirdSource = redisSource(sourceUrl(stream2));
  await train(third, thirdSource, saved2, { steps: 15 });
  third.destroy();
  await thirdSource.close();
  assert.is(saved2.at(-1)!.snapshot.step, 15);
  const fourth = await recordingTrainer(gpu, trained2);
  const fourthSource = redisSource(sourceUrl(stream2));
  try {
    await train(fourth, fourthSource, saved2, { resume: saved2.at(-1)! });
  } finally {
    fourth.destroy();
    await fourthSource.close();
  }
  assert.equal(trainedTwice(trained2), 0, 'no row trained twice');
  assert.ok(
    ROWS - new Set(trained2).size < CONFIG.batch,
    `every row but a partial minibatch's trained (${new Set(trained2).size})`,
  );
});

test('through a validation split the stream is acknowledged: training and held-out rows, all but the last partial minibatch', async ({
  gpu,
}) => {
  if (server === null) return;
  const stream = 'split-rows';
  await publish(stream);
  const trained: number[] = [];
  const saved: Checkpoint[] = [];
  const trainer = await recordingTrainer(gpu, trained);
  const source = redisSource(sourceUrl(stream));
  const split = splitValidation(source, { fraction: 0.25, seed: 11 });
  try {
    const events = await lastValueFrom(
      trainingRun(trainer, { ...options(source, saved), source: split.train }).pipe(toArray()),
    );
    assert.is(events.at(-1)!.type, 'done');
  } finally {
    trainer.destroy();
    await source.close();
  }
  // Delivered in publishing order, row i of the pass is row i of the stream: held out when u_i < 0.25.
  const heldOut = Array.from({ length: ROWS }, (_, i) => i).filter((i) => validationUniform(11, i) < 0.25);
  assert.ok(heldOut.length > 50, `${heldOut.length} rows held out`);
  assert.equal(
    trained.filter((r) => heldOut.includes(r)),
    [],
    'no held-out row is trained',
  );
  const pending = await pendingRows(stream, 'g');
  // Before, the run never saw an acknowledging source: all 400 rows stayed pending.
  assert.ok(
    pending.length < CONFIG.batch * PACK,
    `only the entries of the last partial minibatch stay pending, not ${pending.length} rows`,
  );
  const trainedSet = new Set(trained);
  const untrained = Array.from({ length: ROWS }, (_, i) => i).filter((i) => !trainedSet.has(i) && !heldOut.includes(i));
  assert.ok(untrained.length < CONFIG.batch, `${untrained.length} training rows untrained: a partial minibatch`);
  for (const row of untrained) assert.ok(pending.includes(row), `untrained row ${row} is still pending`);
});

test.run();
