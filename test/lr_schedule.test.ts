// Learning-rate schedules (src/train/lr_schedule.ts): the rate at known steps of each kind, warm-up composed
// with each decay, the same rate from a fresh computation at any step (what a resume relies on), the CLI form
// round-trips, and bad settings are refused naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import {
  formatLrSchedule,
  learningRateAt,
  parseLrSchedule,
  validateLrSchedule,
  type LrSchedule,
} from '../src/train/lr_schedule.ts';

const at = (s: LrSchedule, steps: number[], base = 0.1) => steps.map((t) => learningRateAt(s, base, t));
const close = (actual: number[], expected: number[], label: string) =>
  assertClose(actual, expected, { atol: 0, rtol: 1e-12, label });

test('constant: the base rate at every step', () => {
  close(at({ kind: 'constant' }, [1, 2, 1000, 1e9]), [0.1, 0.1, 0.1, 0.1], 'constant');
});

test('step: the first `every` updates use the base rate, then it is multiplied by the factor every `every` steps', () => {
  const s: LrSchedule = { kind: 'step', every: 100, factor: 0.5 };
  close(at(s, [1, 100, 101, 200, 201, 301, 1001]), [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125, 0.1 / 1024], 'step');
});

test('cosine: base at step 1, halfway between base and floor at the middle, the floor from steps + 1 on', () => {
  const s: LrSchedule = { kind: 'cosine', steps: 1000, min: 0.01 };
  // n = t − 1 updates done; p = n / 1000.
  close(at(s, [1, 501, 1001, 5000]), [0.1, 0.055, 0.01, 0.01], 'cosine');
  const quarter = 0.01 + (0.09 * (1 + Math.cos(Math.PI / 4))) / 2;
  close(at(s, [251]), [quarter], 'cosine at p = 1/4');
  const rates = at(
    s,
    Array.from({ length: 1200 }, (_, i) => i + 1),
  );
  for (let i = 1; i < rates.length; i++) assert.ok(rates[i] <= rates[i - 1], `cosine never rises (step ${i + 1})`);
});

test('warm-up rises linearly to the base rate, then each decay starts from the base rate', () => {
  close(
    at({ kind: 'constant', warmup: 4 }, [1, 2, 3, 4, 5, 100]),
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1],
    'constant + warm-up',
  );
  close(
    at({ kind: 'step', every: 10, factor: 0.1, warmup: 5 }, [5, 6, 15, 16, 26]),
    [0.1, 0.1, 0.1, 0.01, 0.001],
    'step + warm-up',
  );
  // Cosine over steps 5 … 105 (100 updates after a warm-up of 5): the middle is t = 5 + 50 + 1.
  const s: LrSchedule = { kind: 'cosine', steps: 105, min: 0, warmup: 5 };
  close(at(s, [1, 5, 6, 56, 106, 200]), [0.02, 0.1, 0.1, 0.05, 0, 0], 'cosine + warm-up');
});

test('a resumed run gets the same rate at any step as a run that never stopped', () => {
  const schedules: LrSchedule[] = [
    { kind: 'constant', warmup: 30 },
    { kind: 'step', every: 7, factor: 0.9, warmup: 3 },
    { kind: 'cosine', steps: 400, min: 1e-5, warmup: 50 },
  ];
  for (const s of schedules) {
    // One uninterrupted run records its rates; a "resumed" run starts computing at step 137 from the config
    // alone (a round trip through JSON, as the checkpoint stores it).
    const uninterrupted = at(
      s,
      Array.from({ length: 500 }, (_, i) => i + 1),
      3e-4,
    );
    const restored = validateLrSchedule(JSON.parse(JSON.stringify(s)));
    const resumed = Array.from({ length: 500 - 136 }, (_, i) => learningRateAt(restored, 3e-4, 137 + i));
    assert.equal(resumed, uninterrupted.slice(136), `${formatLrSchedule(s)}: identical after resume`);
  }
});

test('the CLI form parses, and formats back to the same text', () => {
  assert.equal(parseLrSchedule('cosine:steps=6000,min=1e-5;warmup=500'), {
    kind: 'cosine',
    steps: 6000,
    min: 1e-5,
    warmup: 500,
  });
  assert.equal(parseLrSchedule('step:every=2000,factor=0.5'), { kind: 'step', every: 2000, factor: 0.5 });
  assert.equal(parseLrSchedule('constant'), { kind: 'constant' });
  assert.equal(parseLrSchedule('warmup=100'), { kind: 'constant', warmup: 100 });
  assert.equal(parseLrSchedule(' cosine : steps = 10 , min = 0 ; warmup = 2 '), {
    kind: 'cosine',
    steps: 10,
    min: 0,
    warmup: 2,
  });
  for (const text of [
    'constant',
    'constant;warmup=100',
    'step:every=2000,factor=0.5',
    'cosine:steps=6000,min=0.00001;warmup=500',
  ]) {
    assert.equal(parseLrSchedule(formatLrSchedule(parseLrSchedule(text))), parseLrSchedule(text), text);
  }
  assert.is(
    formatLrSchedule({ kind: 'cosine', steps: 6000, min: 1e-5, warmup: 500 }),
    'cosine:steps=6000,min=0.00001;warmup=500',
  );
});

test('bad schedules are refused with the field and what it must be', () => {
  const refused: Array<[() => unknown, RegExp]> = [
    [() => parseLrSchedule('linear'), /--lr-schedule: unknown schedule 'linear'; --lr-schedule takes KIND/],
    [() => parseLrSchedule('cosine:steps=100'), /--lr-schedule\.min must be a number ≥ 0/],
    [() => parseLrSchedule('cosine:steps=100,min=x'), /--lr-schedule: min=x is not a number/],
    [
      () => parseLrSchedule('cosine:steps=100,min=0;warmup=100'),
      /--lr-schedule\.steps \(100\) must be larger than --lr-schedule\.warmup \(100\)/,
    ],
    [() => parseLrSchedule('step:every=0,factor=0.5'), /--lr-schedule\.every must be an integer ≥ 1/],
    [() => parseLrSchedule('step:every=10,factor=2'), /--lr-schedule\.factor must be a number in \(0, 1\]/],
    [
      () => parseLrSchedule('step:every=10,factor=0.5,gamma=3'),
      /--lr-schedule\.gamma is not a setting of a step schedule \(it takes kind, warmup, every, factor\)/,
    ],
    [() => parseLrSchedule('constant;decay=3'), /after ';' only warmup=STEPS may follow, got 'decay=3'/],
    [() => parseLrSchedule('step:every'), /'every' is not key=value/],
    [() => parseLrSchedule('warmup=2.5'), /--lr-schedule\.warmup must be an integer ≥ 0/],
    [
      () => validateLrSchedule({ kind: 'cosine', steps: 10, min: 0.5 }, 'run.json: lrSchedule', 0.1),
      /run\.json: lrSchedule\.min \(0\.5\) must not exceed the base learning rate 0\.1/,
    ],
    [() => validateLrSchedule('cosine'), /lrSchedule must be an object/],
    [
      () => validateLrSchedule({ kind: 'step', every: '10', factor: 0.5 }),
      /lrSchedule\.every must be an integer ≥ 1 \(steps between decays\), got "10"/,
    ],
    [() => learningRateAt({ kind: 'constant' }, 0.1, 0), /optimizer steps 1, 2, …, got step 0/],
    [() => learningRateAt({ kind: 'constant' }, -1, 1), /base learning rate must be a finite number > 0, got -1/],
  ];
  for (const [fn, pattern] of refused) assert.throws(fn, pattern, String(pattern));
});

test.run();
