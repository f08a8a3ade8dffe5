// Consumer check (b): a strict NodeNext project (no skipLibCheck, no @types/node) type-checks code using
// aevb's main types. The @ts-expect-error lines prove the types are real: were they `any`, tsc would fail here.
import {
  Trainer,
  Vae,
  DEFAULT_TRAIN_CONFIG,
  acquireDevice,
  trainingRun,
  memorySource,
  type TrainConfig,
  type ElboResult,
  type StepMetrics,
  type GpuContext,
  type TrainingEvent,
  type RunState,
} from 'aevb';

const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, hidden: [16], latent: 2 };
const gpu: GpuContext = await acquireDevice();
const trainer: Trainer = await Trainer.create(config, { gpu });
await trainer.trainOn([new Float32Array(config.batch * config.D)], {
  onMetrics: (m: StepMetrics) => console.log(m.step, m.elbo),
});
const result: ElboResult = await trainer.evaluate(new Float32Array(10 * config.D));
const means: Float32Array = await trainer.model.decode(new Float32Array(config.latent));
console.log(result.elbo, means.length);
let state: RunState | null = null;
trainingRun(trainer, { source: memorySource(new Float32Array(50 * config.D), { D: config.D }), steps: 2 }).subscribe(
  (e: TrainingEvent) => {
    if (e.type === 'done') state = e.state;
  },
);
const model: Vae = trainer.model;
const { mu, logVar } = await model.encode(new Float32Array(3 * config.D));
console.log(state, mu.length + logVar.length);
trainer.destroy();
gpu.destroy();

// @ts-expect-error latent is a number
await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, latent: '2' });
// @ts-expect-error trainOn takes Float32Array minibatches
await trainer.trainOn([[0, 1]]);
// A run's events are typed: 'metrics' events have no `results`. (The directive stands on the line before the
// error, which a formatter must not move: hence a function of its own.)
const resultsOfMetrics = (e: TrainingEvent) =>
  // @ts-expect-error
  e.type === 'metrics' && e.results;
trainingRun(trainer, { source: memorySource(new Float32Array(0), { D: 1 }) }).subscribe(resultsOfMetrics);
