// gaussianMlpLogLikelihoodBackward (the paper's Gaussian decoder) against central differences of
// −scale · Σ logp w.r.t. the whole decoder output [mean logits | log σ²], with a floor that clamps some of the
// log-variances (no value within 1e-3 of it, so no difference straddles the kink).
import { test } from 'uvu';
import { assertClose } from '../assert_close.ts';
import { seededUniform } from '../seeded_random.ts';
import { gaussianMlpLogLikelihood, gaussianMlpLogLikelihoodBackward } from '../reference/gaussian_mlp_likelihood.ts';
import { gaussianLogDensity, gaussianLogDensityBackward } from '../reference/gaussian_log_density.ts';
import { FD_TOL, numericGradient } from './finite_difference.ts';

test("paper's Gaussian decoder: ∂loss/∂(mean logits) and ∂loss/∂(log σ²) match finite differences", () => {
  const [B, D, scale, floor] = [3, 7, 1 / 3, -1.5];
  const out = seededUniform(51, B * 2 * D, -3, 2);
  const x = seededUniform(52, B * D, 0, 1);
  const logVars = Array.from({ length: B * D }, (_, i) => out[Math.floor(i / D) * 2 * D + D + (i % D)]);
  if (!logVars.some((v) => v < floor) || logVars.some((v) => Math.abs(v - floor) < 1e-3))
    throw new Error('pick log-variances on both sides of the floor, clear of it');
  const loss = (o: ArrayLike<number>) =>
    -scale * gaussianMlpLogLikelihood(o, x, B, D, floor).reduce((a, v) => a + v, 0);
  assertClose(gaussianMlpLogLikelihoodBackward(out, x, B, D, floor, scale), numericGradient(loss, out), {
    ...FD_TOL,
    label: 'dOut',
  });
});

test('the floor bounds log p: a constant pixel predicted exactly gives at most −½ (log 2π + floor) per value', () => {
  const [B, D, floor] = [1, 4, -5];
  const x = [0.25, 0.25, 0.25, 0.25];
  const out = [...x.map((m) => Math.log(m / (1 - m))), -50, -500, -5000, floor]; // the mean exact, σ² asked far below the floor
  const bound = -0.5 * D * (Math.log(2 * Math.PI) + floor);
  const logp = gaussianMlpLogLikelihood(out, x, B, D, floor)[0];
  assertClose([logp], [bound], { atol: 1e-9, rtol: 1e-12, label: 'log p at the floor' });
});

test('log N(z; μ, σ²) (log q of the sleep phase, the identity-mean form): ∂/∂[μ | log σ²] match finite differences', () => {
  const [B, Z, scale] = [3, 4, 1 / 3];
  const stats = seededUniform(53, B * 2 * Z, -2, 1.5);
  const z = seededUniform(54, B * Z, -2, 2);
  const loss = (s: ArrayLike<number>) => -scale * gaussianLogDensity(s, z, B, Z).reduce((a, v) => a + v, 0);
  assertClose(gaussianLogDensityBackward(stats, z, B, Z, scale), numericGradient(loss, stats), {
    ...FD_TOL,
    label: 'dStats',
  });
});

test.run();
