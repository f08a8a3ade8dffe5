// The README's library example, kept here so `npm run typecheck` proves it compiles. Run it from the
// repository with: node --import tsx docs/library_example.ts
import { Trainer, DEFAULT_TRAIN_CONFIG, loadMnist, trainingBatches, binarizeOnce } from '../src/index.node.ts';

const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, latent: 2 });
const batches = trainingBatches(loadMnist('train'), 100, 1, { epoch: 0, index: 0, step: 1 });
const epoch = (function* () { for (let i = 0; i < 600; i++) yield batches.next().value!.batch; })();
await trainer.fit(epoch, { onMetrics: (m) => console.log(m.step, m.elbo) });
console.log(await trainer.evaluate(binarizeOnce(loadMnist('test'), 12345)));   // { elbo, kl, logp, rows }
trainer.destroy();
