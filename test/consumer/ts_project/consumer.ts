// Consumer check (b): a strict NodeNext project (no skipLibCheck, no @types/node) type-checks code using
// aevb's main types. The @ts-expect-error lines prove the types are real: were they `any`, tsc would fail here.
import { Trainer, DEFAULT_TRAIN_CONFIG, acquireDevice, decodeLatents, type TrainConfig, type ElboResult, type StepMetrics, type GpuContext } from 'aevb';

const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, hidden: [16], latent: 2 };
const gpu: GpuContext = await acquireDevice();
const trainer: Trainer = await Trainer.create(config, { gpu });
await trainer.fit([new Float32Array(config.batch * config.D)], { onMetrics: (m: StepMetrics) => console.log(m.step, m.elbo) });
const result: ElboResult = await trainer.evaluate(new Float32Array(10 * config.D));
// DECODE — after issue 10 this line becomes: const means: Float32Array = await trainer.model.decode(z);
const means: Float32Array = await decodeLatents(trainer.gpu, trainer.model, new Float32Array(config.latent));
console.log(result.elbo, means.length);
trainer.destroy();
gpu.destroy();

// @ts-expect-error latent is a number
await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, latent: '2' });
// @ts-expect-error fit takes Float32Array minibatches
await trainer.fit([[0, 1]]);
