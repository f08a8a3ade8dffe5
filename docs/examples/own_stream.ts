// Train on rows from your own system: any object with a name and an open() that yields blocks of rows is a
// row source. Here, an endless feed of noisy copies of 4 patterns; the run stops after 400 steps.
import { lastValueFrom, tap } from 'rxjs';
import { Trainer, DEFAULT_TRAIN_CONFIG, trainingRun, type RowSource } from 'aevb';

const D = 16;
const readings = (block: number) =>
  new Float32Array(64 * D).map(
    (_, i) => ((Math.floor(i / D) + block) % 4 === i % 4 ? 0.9 : 0.1) + 0.05 * Math.random(),
  );
const source: RowSource = {
  name: 'sensor feed',
  async *open() {
    for (let block = 0; ; block++) yield { values: readings(block), rows: 64, D, scale: 1 };
  },
};

const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, D, hidden: [32], latent: 2, batch: 32 });
await lastValueFrom(
  trainingRun(trainer, { source, steps: 400, shuffleWindow: 1024, binarize: false }).pipe(
    tap((e) => {
      if (e.type === 'metrics') console.log(`step ${e.step}: ELBO ${e.elbo.toFixed(2)}`);
    }),
  ),
);
trainer.destroy();
