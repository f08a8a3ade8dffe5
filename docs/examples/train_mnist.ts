// Train on the bundled MNIST with progress, and keep a checkpoint (the README's first library example).
import { Trainer, DEFAULT_TRAIN_CONFIG, trainingRun, mnistSource, loadRows, writeCheckpoint } from 'aevb';

const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, hidden: [200], latent: 2 });
const test = await loadRows(mnistSource('test'), { maxRows: 1000, binarize: true });

trainingRun(trainer, {
  source: mnistSource('train'),
  steps: 300,
  evaluate: { test },
  evaluateEvery: 100,
  checkpoints: { save: (checkpoint) => writeCheckpoint('out/mnist', checkpoint) },
}).subscribe({
  next(event) {
    if (event.type === 'metrics') console.log(`step ${event.step}: minibatch ELBO ${event.elbo.toFixed(1)} nats`);
    if (event.type === 'evaluation')
      console.log(`step ${event.step}: test ELBO ${event.results.test.elbo.toFixed(2)} nats`);
  },
  complete: () => trainer.destroy(),
});
