// Train in a page: the code is Node's, since a bundler's 'browser' condition picks aevb's browser build, which
// carries the shaders. The rows are made in the page (8 noisy 28×28 prototypes): no server, no file needed.
import { Trainer, DEFAULT_TRAIN_CONFIG, trainingRun, syntheticSource, imageGrid } from 'aevb';

const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, hidden: [64], latent: 2 }); // navigator.gpu
const source = syntheticSource({ D: 784, rows: 5000, seed: 1 }); // or urlSource(url), streamSource(name, open)
trainingRun(trainer, { source, steps: 40, metricsEvery: 10 }).subscribe({
  next: (event) => {
    if (event.type === 'metrics') console.log(`step ${event.step}: ELBO ${event.elbo.toFixed(1)} nats`);
  },
  complete: async () => {
    const { width, height, pixels } = imageGrid(await trainer.model.sample(16), 784, 4); // 4 × 4 samples
    const image = new ImageData(width, height);
    pixels.forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
    const canvas = Object.assign(document.createElement('canvas'), { width, height });
    canvas.getContext('2d')!.putImageData(image, 0, 0);
    document.body.append(canvas);
  },
});
