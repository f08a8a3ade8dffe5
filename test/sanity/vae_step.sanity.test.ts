// vae_step: the parameter list, and the loss rebuilt by hand from the individual references.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { denseForward } from '../reference/matmul.ts';
import { gaussianHeadForward } from '../reference/gaussian_head.ts';
import { reparameterizeForward } from '../reference/reparameterize.ts';
import { klDivergenceForward } from '../reference/kl_divergence.ts';
import { bernoulliLogLikelihood } from '../reference/bernoulli_likelihood.ts';
import { vaeLossAndGradients, vaeParameterShapes } from '../reference/vae_step.ts';
import type { VaeConfig } from '../reference/vae_step.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal, seededUniform } from '../seeded_random.ts';

test('vaeParameterShapes: names, shapes and order', () => {
  const shapes = vaeParameterShapes({ D: 7, hidden: [5, 4], Z: 2, activation: 'tanh' });
  assert.equal(shapes, [
    { name: 'encoder.0.weight', shape: [7, 5] },
    { name: 'encoder.0.bias', shape: [5] },
    { name: 'encoder.1.weight', shape: [5, 4] },
    { name: 'encoder.1.bias', shape: [4] },
    { name: 'encoder.head.weight', shape: [4, 4] },
    { name: 'encoder.head.bias', shape: [4] },
    { name: 'decoder.0.weight', shape: [2, 4] },
    { name: 'decoder.0.bias', shape: [4] },
    { name: 'decoder.1.weight', shape: [4, 5] },
    { name: 'decoder.1.bias', shape: [5] },
    { name: 'decoder.out.weight', shape: [5, 7] },
    { name: 'decoder.out.bias', shape: [7] },
  ]);
});

test('vae step: loss = −mean(logp − kl) of the pieces composed by hand', () => {
  const [B, D, H, Z] = [3, 7, 5, 2];
  const config: VaeConfig = { D, hidden: [H], Z, activation: 'softplus' };
  const p: Record<string, Float64Array> = {};
  vaeParameterShapes(config).forEach(({ name, shape }, i) => {
    p[name] = seededNormal(
      300 + i,
      shape.reduce((a, b) => a * b, 1),
      0.5,
    );
  });
  const x = seededUniform(310, B * D);
  const eps = seededNormal(311, B * Z);

  const h1 = denseForward(x, p['encoder.0.weight'], p['encoder.0.bias'], B, D, H, 'softplus').y;
  const raw = denseForward(h1, p['encoder.head.weight'], p['encoder.head.bias'], B, H, 2 * Z, 'identity').y;
  const stats = gaussianHeadForward(raw, B, Z);
  const z = reparameterizeForward(stats, eps, B, Z);
  const h2 = denseForward(z, p['decoder.0.weight'], p['decoder.0.bias'], B, Z, H, 'softplus').y;
  const logits = denseForward(h2, p['decoder.out.weight'], p['decoder.out.bias'], B, H, D, 'identity').y;
  const logp = bernoulliLogLikelihood(logits, x, B, D);
  const kl = klDivergenceForward(stats, B, Z);
  let sLogp = 0;
  let sKl = 0;
  for (let b = 0; b < B; b++) {
    sLogp += logp[b];
    sKl += kl[b];
  }

  const r = vaeLossAndGradients(config, p, x, eps, B);
  const tight = { atol: 1e-13, rtol: 1e-14 };
  assertClose([r.loss, r.elbo, r.logp, r.kl], [-(sLogp - sKl) / B, (sLogp - sKl) / B, sLogp / B, sKl / B], {
    ...tight,
    label: 'loss, elbo, logp, kl',
  });
  assert.ok(r.kl > 0, 'KL of a non-degenerate posterior is positive');
  assert.ok(r.logp < 0, 'log-likelihood of non-binary pixels is negative');
});

test.run();
