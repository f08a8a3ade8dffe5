/**
 * Learning-rate schedules: the learning rate of every optimizer step as a pure function of the step, so a
 * resumed run recomputes the same rate at any step from the config alone (the checkpoint stores the schedule,
 * not a running state).
 *
 * Step numbering is the optimizer's: step t = 1, 2, … is the t-th update, the number `setStep(t, lr)` of the
 * optimizer kernels receives. With a warm-up of W steps:
 *   - warm-up, t ≤ W:      lr(t) = base · t / W           (rises linearly; the W-th update uses the full base)
 *   - after it, n = t − 1 − W updates past the warm-up:
 *       constant:           lr = base
 *       step:               lr = base · factor^⌊n / every⌋    (the first `every` updates after warm-up use base)
 *       cosine:             lr = min + (base − min) · (1 + cos(π · p)) / 2,  p = min(1, n / (steps − W))
 *                           so it reaches `min` at step t = steps + 1 and stays there; `steps` counts from the
 *                           start of the run, warm-up included (set it to the run's length).
 *
 * The CLI form (parseLrSchedule / formatLrSchedule): `KIND[:key=value,…][;warmup=W]`, for example
 *   constant            step:every=2000,factor=0.5            cosine:steps=6000,min=1e-5;warmup=500
 * and `warmup=W` alone for a warm-up followed by the constant rate.
 */
import { decimalOf, numberProblem } from './numbers.ts';

/** When the learning rate decays after the warm-up, and to what. JSON-serialisable (it goes into checkpoints). */
export type LrSchedule =
  | { kind: 'constant'; warmup?: number }
  | { kind: 'step'; every: number; factor: number; warmup?: number }
  | { kind: 'cosine'; steps: number; min: number; warmup?: number };

/** The learning rate stays at the optimizer's base rate. */
export const CONSTANT_LR: LrSchedule = { kind: 'constant' };

export const LR_SCHEDULE_KINDS = ['constant', 'step', 'cosine'] as const;

const KEYS: Record<LrSchedule['kind'], string[]> = {
  constant: [],
  step: ['every', 'factor'],
  cosine: ['steps', 'min'],
};

/**
 * The learning rate of optimizer step `step` (1, 2, …) for base rate `baseLr` (the optimizer's --lr).
 * Pure: the same arguments give the same rate, whatever was computed before.
 */
export function learningRateAt(schedule: LrSchedule, baseLr: number, step: number): number {
  if (!Number.isSafeInteger(step) || step < 1)
    throw new Error(`aevb: a learning-rate schedule is asked for optimizer steps 1, 2, …, got step ${step}`);
  if (!(Number.isFinite(baseLr) && baseLr > 0))
    throw new Error(`aevb: the base learning rate must be a finite number > 0, got ${baseLr}`);
  const warmup = schedule.warmup ?? 0;
  if (step <= warmup) return (baseLr * step) / warmup;
  const n = step - 1 - warmup;
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * schedule.factor ** Math.floor(n / schedule.every);
    case 'cosine': {
      const p = Math.min(1, n / (schedule.steps - warmup));
      return schedule.min + ((baseLr - schedule.min) * (1 + Math.cos(Math.PI * p))) / 2;
    }
  }
}

/**
 * Checks a schedule read from JSON (a config file, a checkpoint) and returns it typed. `where` names it in
 * messages (`lrSchedule`, `run.json: lrSchedule`); with `baseLr`, a cosine floor above the base rate is refused.
 */
export function validateLrSchedule(value: unknown, where = 'lrSchedule', baseLr?: number): LrSchedule {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(
      `aevb: ${where} must be an object like {"kind": "cosine", "steps": 6000, "min": 1e-5}, got ${JSON.stringify(value)}`,
    );
  const o = value as Record<string, unknown>;
  const kind = o.kind;
  if (!LR_SCHEDULE_KINDS.includes(kind as LrSchedule['kind']))
    throw new Error(`aevb: ${where}.kind must be one of ${LR_SCHEDULE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const k = kind as LrSchedule['kind'];
  const allowed = ['kind', 'warmup', ...KEYS[k]];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key))
      throw new Error(`aevb: ${where}.${key} is not a setting of a ${k} schedule (it takes ${allowed.join(', ')})`);
  }
  const number = (key: string, ok: (v: number) => boolean, expected: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !ok(v))
      throw new Error(`aevb: ${where}.${key} must be ${expected}, got ${JSON.stringify(v)}`);
    return v;
  };
  const integer = (v: number) => Number.isSafeInteger(v);
  const float32 = (v: number) => numberProblem(v, { kind: 'float32' }) === null;
  const warmup =
    o.warmup === undefined ? undefined : number('warmup', (v) => integer(v) && v >= 0, 'an integer ≥ 0 (steps)');
  const withWarmup = <T extends LrSchedule>(s: T): T => (warmup ? { ...s, warmup } : s);
  switch (k) {
    case 'constant':
      return withWarmup({ kind: 'constant' });
    case 'step':
      return withWarmup({
        kind: 'step',
        every: number('every', (v) => integer(v) && v >= 1, 'an integer ≥ 1 (steps between decays)'),
        factor: number(
          'factor',
          (v) => float32(v) && v > 0 && v <= 1,
          'a number in (0, 1] that float32 holds (the rate is multiplied by it)',
        ),
      });
    case 'cosine': {
      const steps = number(
        'steps',
        (v) => integer(v) && v >= 1,
        'an integer ≥ 1 (the step where the rate reaches its floor)',
      );
      if (steps <= (warmup ?? 0))
        throw new Error(
          `aevb: ${where}.steps (${steps}) must be larger than ${where}.warmup (${warmup}): the cosine runs from the end of the warm-up to step ${where}.steps`,
        );
      const min = number(
        'min',
        (v) => float32(v) && v >= 0,
        'a number ≥ 0 that float32 holds (the learning rate at the end)',
      );
      if (baseLr !== undefined && min > baseLr)
        throw new Error(`aevb: ${where}.min (${min}) must not exceed the base learning rate ${baseLr}`);
      return withWarmup({ kind: 'cosine', steps, min });
    }
  }
}

/**
 * Parses the CLI form `KIND[:key=value,…][;warmup=W]` (see the top of this file); `flag` names the option
 * in messages. The result is validated.
 */
export function parseLrSchedule(text: string, flag = '--lr-schedule'): LrSchedule {
  const form =
    `${flag} takes KIND[:key=value,…][;warmup=STEPS] with KIND constant, step:every=S,factor=γ ` +
    `or cosine:steps=T,min=LR (e.g. cosine:steps=6000,min=1e-5;warmup=500)`;
  const parts = text
    .trim()
    .split(';')
    .map((p) => p.trim());
  const object: Record<string, unknown> = {};
  const numberOf = (key: string, raw: string): number => {
    const v = decimalOf(raw);
    if (v === null || !Number.isFinite(v)) throw new Error(`aevb: ${flag}: ${key}=${raw} is not a number; ${form}`);
    return v;
  };
  const pair = (item: string): [string, string] => {
    const eq = item.indexOf('=');
    if (eq < 1) throw new Error(`aevb: ${flag}: '${item}' is not key=value; ${form}`);
    return [item.slice(0, eq).trim(), item.slice(eq + 1).trim()];
  };
  let rest = parts.slice(1);
  if (/^warmup\s*=/.test(parts[0])) {
    object.kind = 'constant';
    rest = parts;
  } else {
    const [kind, settings] = parts[0].split(/:(.*)/s, 2);
    if (!LR_SCHEDULE_KINDS.includes(kind.trim() as LrSchedule['kind']))
      throw new Error(`aevb: ${flag}: unknown schedule '${kind.trim()}'; ${form}`);
    object.kind = kind.trim();
    if (settings !== undefined && settings.trim() !== '') {
      for (const item of settings.split(',')) {
        const [key, raw] = pair(item);
        object[key] = numberOf(key, raw);
      }
    }
  }
  for (const item of rest) {
    const [key, raw] = pair(item);
    if (key !== 'warmup')
      throw new Error(`aevb: ${flag}: after ';' only warmup=STEPS may follow, got '${item}'; ${form}`);
    object.warmup = numberOf(key, raw);
  }
  return validateLrSchedule(object, flag);
}

/** The CLI form of a schedule; parseLrSchedule(formatLrSchedule(s)) equals s. */
export function formatLrSchedule(schedule: LrSchedule): string {
  const settings = KEYS[schedule.kind]
    .map((key) => `${key}=${(schedule as unknown as Record<string, number>)[key]}`)
    .join(',');
  const head = settings === '' ? schedule.kind : `${schedule.kind}:${settings}`;
  return schedule.warmup ? `${head};warmup=${schedule.warmup}` : head;
}
