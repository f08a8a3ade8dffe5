// Checkpoint fuzzing (src/io/safetensors.ts, checkpoint_format.ts, checkpoint.node.ts): hundreds of
// checkpoints corrupted by a seeded generator — truncations, bit flips anywhere, header lengths at extremes,
// header tables rewritten with string, fractional, negative, swapped, aliased or out-of-range offsets, wrong
// dtypes and shapes, metadata removed or edited, NaN and Inf written with a fresh checksum — must each be
// refused with an error that names the file, or, when the corruption changed nothing that matters (padding),
// load exactly the tensors, step, config and run state that were saved. A tenth of them go through files with a
// sound previous checkpoint beside them: reading then yields the previous one exactly. Figures are printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint_format.ts';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from '../src/io/checkpoint.node.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { mulberry32 } from './seeded_random.ts';

const SEED = 1312;
const CASES = 400;

const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

/** A checkpoint shaped like a real one (a 6-4-2 model with Adam state), its values drawn from `seed`. */
function original(seed: number): Checkpoint {
  const r = mulberry32(seed);
  const tensor = (name: string, shape: number[]) => ({
    name,
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1),
  });
  const parameters = [
    tensor('encoder.0.weight', [6, 4]),
    tensor('encoder.0.bias', [4]),
    tensor('encoder.head.weight', [4, 4]),
    tensor('decoder.0.weight', [2, 4]),
    tensor('decoder.out.weight', [4, 6]),
  ];
  const state = ['m', 'v'].flatMap((s) => parameters.map((p) => tensor(`optimizer.${s}.${p.name}`, p.shape)));
  return {
    snapshot: {
      config: { ...DEFAULT_TRAIN_CONFIG, D: 6, hidden: [4], latent: 2 },
      step: 17 + seed,
      tensors: [...parameters, ...state],
    },
    run: {
      position: { epoch: 2, index: 3, step: 18 + seed },
      plan: {
        epochs: 5,
        steps: null,
        checkpointEvery: 0,
        shuffleWindow: 100,
        binarize: true,
        data: {
          train: '/data/jörg/train.npy',
          test: null,
          format: 'auto',
          dim: null,
          validationSplit: 0.1,
          validation: null,
        },
        earlyStopping: { on: 'validation', patience: 3, minDelta: 0 },
      },
      stepsPerEpoch: 7,
      earlyStopping: null,
    },
  };
}

function loadedExactly(got: Checkpoint, want: Checkpoint): boolean {
  if (got.snapshot.step !== want.snapshot.step) return false;
  if (
    JSON.stringify(got.snapshot.config) !== JSON.stringify(want.snapshot.config) ||
    JSON.stringify(got.run) !== JSON.stringify(want.run)
  )
    return false;
  if (got.snapshot.tensors.length !== want.snapshot.tensors.length) return false;
  return want.snapshot.tensors.every((w, i) => {
    const g = got.snapshot.tensors[i];
    return (
      g.name === w.name &&
      g.shape.join() === w.shape.join() &&
      Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength).equals(
        Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength),
      )
    );
  });
}

/** The parts of a safetensors file, to rewrite its header. */
function split(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))),
    data: bytes.subarray(8 + length),
  };
}

function join8(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + length + data.length).fill(0x20, 8, 8 + length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  out.set(json, 8);
  out.set(data, 8 + length);
  return out;
}

/** One seeded corruption of the encoded checkpoint `bytes`. */
function corrupt(bytes: Uint8Array, good: Checkpoint): { bytes: Uint8Array; how: string } {
  const b = Uint8Array.from(bytes);
  const headerEnd = 8 + Number(new DataView(b.buffer).getBigUint64(0, true));
  switch (int(9)) {
    case 0: {
      const at = int(b.length);
      return { bytes: b.subarray(0, at), how: `truncated to ${at} of ${b.length}` };
    }
    case 1: {
      const at = int(b.length);
      b[at] ^= 1 << int(8);
      return { bytes: b, how: `bit flip at ${at} (${at < headerEnd ? 'header' : 'data'})` };
    }
    case 2: {
      const at = 8 + int(headerEnd - 8);
      b[at] ^= 1 << int(8);
      return { bytes: b, how: `bit flip in the header at ${at}` };
    }
    case 3: {
      const length = pick([
        0n,
        1n,
        7n,
        BigInt(headerEnd - 9),
        BigInt(headerEnd - 7),
        BigInt(b.length),
        100_000_001n,
        2n ** 63n,
        2n ** 64n - 1n,
      ]);
      new DataView(b.buffer).setBigUint64(0, length, true);
      return { bytes: b, how: `header length ${length}` };
    }
    case 4: {
      const { header, data } = split(b);
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      const name = pick(names);
      const e = header[name];
      const [begin, end] = e.data_offsets as [number, number];
      const other = header[pick(names.filter((n) => n !== name))];
      const edits: [string, () => unknown][] = [
        ['string offsets', () => (e.data_offsets = [String(begin), String(end)])],
        ['fractional offsets', () => (e.data_offsets = [begin + 0.5, end + 0.5])],
        ['negative offset', () => (e.data_offsets = [-4, end])],
        ['swapped offsets', () => (e.data_offsets = [end, begin])],
        ['aliased offsets', () => (e.data_offsets = [...other.data_offsets])],
        ['misaligned offsets', () => (e.data_offsets = [begin + 2, end + 2])],
        ['offsets past the end', () => (e.data_offsets = [begin, data.length + 4])],
        ['one offset', () => (e.data_offsets = [begin])],
        ['dtype F16', () => (e.dtype = 'F16')],
        ['shape grown', () => (e.shape = [...e.shape.slice(0, -1), e.shape.at(-1) + 1])],
        ['shape as text', () => (e.shape = e.shape.join('x'))],
        ['entry missing', () => delete header[name]],
        ['entry null', () => (header[name] = null)],
        ['metadata missing', () => delete header.__metadata__],
        ['step edited', () => (header.__metadata__.step = String(Number(header.__metadata__.step) + 1))],
        ['step negative', () => (header.__metadata__.step = '-1')],
        [
          'config hidden as a number',
          () => (header.__metadata__.config = header.__metadata__.config.replace('"hidden":[4]', '"hidden":4')),
        ],
        ['config not JSON', () => (header.__metadata__.config = '{"D":')],
        [
          'config latent 0',
          () => (header.__metadata__.config = header.__metadata__.config.replace('"latent":2', '"latent":0')),
        ],
        ['run state edited', () => (header.__metadata__.run = '{"position":{"epoch":3}}')],
        ['checksum removed', () => delete header.__metadata__.checksum],
        ['format 1 claimed', () => (header.__metadata__.format = 'aevb-checkpoint-1')],
        ['metadata as array', () => (header.__metadata__ = [1, 2])],
        ['header as array', () => Object.assign(header, { x: [] })],
      ];
      const edit = pick(edits);
      edit[1]();
      return { bytes: join8(header, data), how: `header: ${edit[0]} (${name})` };
    }
    case 5: {
      // Non-finite values with a checksum that matches them: only the finiteness check can refuse these.
      const bad = structuredClone(good);
      const t = pick(bad.snapshot.tensors);
      t.data[int(t.data.length)] = pick([NaN, Infinity, -Infinity]);
      return { bytes: encodeCheckpoint(bad), how: `non-finite value in '${t.name}' (valid checksum)` };
    }
    case 6: {
      const extra = Uint8Array.from({ length: 1 + int(64) }, () => int(256));
      return { bytes: Uint8Array.from([...b, ...extra]), how: `${extra.length} bytes appended` };
    }
    case 7: {
      const at = int(b.length);
      b.fill(0, at, at + 1 + int(4096));
      return { bytes: b, how: `zeroed from ${at}` };
    }
    default: {
      // A change the format allows: the header's padding spaces become other spaces, or nothing changes.
      const paddingAt = new TextDecoder().decode(b.subarray(8, headerEnd)).lastIndexOf('}') + 9;
      if (paddingAt < headerEnd) b[paddingAt + int(headerEnd - paddingAt)] = pick([0x20, 0x0a, 0x09]);
      return { bytes: b, how: 'padding whitespace changed' };
    }
  }
}

const ENGINE_ERROR =
  /Cannot (read|convert)|is not a function|is not iterable|undefined|allocation failed|Invalid typed array length/i;

test(`${CASES} corrupt checkpoints: each refused naming the file, or loaded exactly`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-fuzz-'));
  const tally = { checkpoints: 0, refused: 0, loadedExactly: 0, fellBackExactly: 0, failures: [] as string[] };
  try {
    for (let i = 0; i < CASES; i++) {
      const good = original(i % 7);
      const { bytes, how } = corrupt(encodeCheckpoint(good), good);
      const source = `fuzz-${i}.safetensors`;
      tally.checkpoints++;
      try {
        const got = decodeCheckpoint(bytes, source);
        if (loadedExactly(got, good)) tally.loadedExactly++;
        else tally.failures.push(`${source} (${how}): loaded, but not what was saved`);
      } catch (error) {
        const e = error as Error;
        if (
          e instanceof TypeError ||
          e instanceof RangeError ||
          !e.message.startsWith(`${source}: `) ||
          ENGINE_ERROR.test(e.message)
        ) {
          tally.failures.push(`${source} (${how}): unclear refusal: ${e.name}: ${e.message}`);
        } else {
          tally.refused++;
        }
      }
      if (i % 10 === 0) {
        // On disk beside a sound previous checkpoint: the reader must hand back either one exactly.
        const run = join(dir, `run-${i}`);
        const previous = original(100 + i);
        writeCheckpoint(run, previous);
        writeCheckpoint(run, good);
        writeFileSync(join(run, CHECKPOINT_FILE), bytes);
        const warnings: string[] = [];
        const got = readCheckpoint(run, { warn: (m) => warnings.push(m) });
        const ok =
          got.fallback === null ? loadedExactly(got, good) : loadedExactly(got, previous) && warnings.length === 1;
        if (ok) tally.fellBackExactly += got.fallback === null ? 0 : 1;
        else tally.failures.push(`${run} (${how}): readCheckpoint returned neither checkpoint exactly`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `  ${tally.checkpoints} corrupt checkpoints: ${tally.refused} refused clearly, ${tally.loadedExactly} loaded exactly (harmless changes), ` +
      `${tally.failures.length} failures; on disk ${tally.fellBackExactly} fell back to checkpoint.prev exactly`,
  );
  for (const f of tally.failures.slice(0, 10)) console.log(`    ${f}`);
  assert.equal(tally.failures, []);
  assert.ok(tally.refused >= 200, `at least 200 refused (${tally.refused})`);
});

/** `good` with `edit` applied to a copy of its run state, encoded with a fresh, valid checksum (resealed). */
function resealed(good: Checkpoint, edit: (run: any) => void): Uint8Array {
  const run = structuredClone(good.run);
  edit(run);
  return encodeCheckpoint({ snapshot: good.snapshot, run });
}

test('a checkpoint is data, not instructions: edited and resealed run states are refused, naming the field', () => {
  const good = original(1);
  assert.is(decodeCheckpoint(encodeCheckpoint(good), 'ok.safetensors').snapshot.step, 18, 'the original loads');
  const cases: Array<[string, (run: any) => void, string]> = [
    [
      'a format with no parser',
      (r) => (r.plan.data.format = 'constructor'),
      'plan.data.format = "constructor"; expected one of auto, idx',
    ],
    [
      'a huge epoch',
      (r) => (r.position.epoch = Number.MAX_SAFE_INTEGER),
      `position.epoch = ${Number.MAX_SAFE_INTEGER}, beyond the plan's 5 epochs`,
    ],
    [
      'more epochs than steps',
      (r) => ((r.plan.epochs = null), (r.position.epoch = 100)),
      'position.epoch = 100 after only 18 steps',
    ],
    ['a step past the plan', (r) => (r.plan.steps = 10), "at step 19, beyond the plan's 10 steps"],
  ];
  for (const [how, edit, expected] of cases)
    assert.throws(
      () => decodeCheckpoint(resealed(good, edit), 'edited.safetensors'),
      (e: Error) => e.message.includes('edited.safetensors: ') && e.message.includes(expected),
      how,
    );
  // A run finished as planned, and continued with more --epochs, is not beyond its plan.
  assert.is(
    decodeCheckpoint(
      resealed(good, (r) => ((r.position.epoch = 5), (r.position.index = 0))),
      'done',
    ).run!.position.epoch,
    5,
  );
});

test("format 1 is held to every check it can be: a format-2 file relabelled '-1' with its checksum removed is refused", () => {
  const good = original(2);
  const { header, data } = split(encodeCheckpoint(good));
  header.__metadata__.format = 'aevb-checkpoint-1';
  delete header.__metadata__.checksum;
  assert.throws(
    () => decodeCheckpoint(join8(header, data), 'relabelled.safetensors'),
    /relabelled\.safetensors: the metadata says format 'aevb-checkpoint-1', which had no checksum and no run state, but this file holds a run state/,
  );
  // A genuine format-1 file (no checksum, no run state) still loads; with a run state edited in, it does not.
  delete header.__metadata__.run;
  assert.is(decodeCheckpoint(join8(header, data), 'old.safetensors').run, null);
});

test.run();
