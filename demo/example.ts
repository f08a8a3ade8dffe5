// The README's page example: train in a page on MNIST streamed from the server, log the ELBO, draw samples.
import { Trainer, DEFAULT_TRAIN_CONFIG, trainingRun, urlSource, imageGrid } from 'aevb';

const log = (line: string) => (document.getElementById('log')!.textContent += `${line}\n`);
const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, hidden: [64], latent: 2 });
trainingRun(trainer, {
  source: urlSource('/mnist/train-images-idx3-ubyte'),
  steps: 40,
  shuffleWindow: 5000,
  metricsEvery: 10,
}).subscribe({
  next: (event) => {
    if (event.type === 'metrics') log(`step ${event.step}: ELBO ${event.elbo.toFixed(1)} nats`);
  },
  error: (error) => log(`error: ${error.message}`),
  complete: async () => {
    const { width, height, pixels } = imageGrid(await trainer.model.sample(16), 784, 4);
    const image = new ImageData(width, height);
    pixels.forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
    (document.getElementById('samples') as HTMLCanvasElement).getContext('2d')!.putImageData(image, 0, 0);
    log('done');
  },
});
