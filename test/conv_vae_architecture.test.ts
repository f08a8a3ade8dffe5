// Architectures as data (src/model/layer_specs.ts, vae_architecture.ts), without a device: the short forms and
// their expansion, a JSON layer list equal to its short form, the image shape given or inferred, each shape error
// naming its layer, the initialisation of convolutions (PyTorch's fans), and the flags of `aevb train`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Command } from 'commander';
import { layerListOf, vaeLayers, type VaeArchitecture } from '../src/model/vae_architecture.ts';
import { parseArch, parseImageShape, type LayerList } from '../src/model/layer_specs.ts';
import { parameterLayout } from '../src/model/parameter_layout.ts';
import { initialParameters } from '../src/model/initialization.ts';
import {
  DEFAULT_TRAIN_CONFIG,
  architectureOf,
  validateTrainConfig,
  type TrainConfig,
} from '../src/train/train_config.ts';
import { trainCommand } from '../src/cli/train_options.node.ts';
import { expandConfigFile } from '../src/cli/config_file.node.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PEER: VaeArchitecture = { D: 784, hidden: [256], Z: 20, activation: 'relu', arch: 'conv:32,64' };

/** The PyTorch peer's ConvVAE (shared/peers/torch_vae.py) written out as a layer list. */
const PEER_LIST: LayerList = {
  encoder: [
    { type: 'conv', channels: 32, kernel: 4, stride: 2, padding: 1 },
    { type: 'conv', channels: 64, kernel: 4, stride: 2, padding: 1 },
    { type: 'dense', outputs: 256 },
  ],
  decoder: [
    { type: 'dense', outputs: 256 },
    { type: 'dense', outputs: 3136 },
    { type: 'reshape', shape: [64, 7, 7] },
    { type: 'conv-transpose', channels: 32, kernel: 4, stride: 2, padding: 1 },
    { type: 'conv-transpose', channels: 1, kernel: 4, stride: 2, padding: 1 },
  ],
};

const shapesOf = (arch: VaeArchitecture) => parameterLayout(arch).entries.map((e) => `${e.name}:${e.shape.join('x')}`);

test('conv:32,64 with hidden [256] expands to the peer ConvVAE, and its JSON layer list is the same model', () => {
  assert.equal(layerListOf(PEER), PEER_LIST);
  const json = parseArch(JSON.stringify(PEER_LIST));
  assert.equal(shapesOf({ ...PEER, arch: json }), shapesOf(PEER));
  const l = vaeLayers(PEER);
  assert.equal(
    [...l.encoder, l.head, ...l.decoder, l.out].map(
      (x) => `${x.name} ${x.kind} ${x.inputs}→${x.outputs} ${x.activation}`,
    ),
    [
      'encoder.0 conv 784→6272 relu',
      'encoder.1 conv 6272→3136 relu',
      'encoder.2 dense 3136→256 relu',
      'encoder.head dense 256→40 identity',
      'decoder.0 dense 20→256 relu',
      'decoder.1 dense 256→3136 relu',
      'decoder.2 conv-transpose 3136→6272 relu',
      'decoder.out conv-transpose 6272→784 identity',
    ],
  );
});

test('a dense output layer of a list may make D values beyond 65 536 (D up to 2²⁴)', () => {
  const D = 3 * 256 * 256;
  const wide = vaeLayers({
    D,
    hidden: [],
    Z: 2,
    activation: 'relu',
    arch: { encoder: [], decoder: [{ type: 'dense', outputs: D }] },
  });
  assert.is(wide.out.outputs, D);
});

test('a layer list is checked wherever it comes from: JSON text, or an object handed to the library', () => {
  assert.equal(vaeLayers({ ...PEER, arch: JSON.stringify(PEER_LIST) }), vaeLayers(PEER));
  const bad = { encoder: [{ type: 'conv', channels: 0, kernel: 3 }], decoder: [{ type: 'dense', outputs: 784 }] };
  assert.throws(
    () => vaeLayers({ ...PEER, arch: bad as unknown as LayerList }),
    /arch.encoder\[0\].channels must be an integer from 1 to 65536, got 0/,
  );
});

test("the paper's Gaussian decoder doubles the output layer's channels into [mean | log σ²]; the MLP's outputs", () => {
  const conv = vaeLayers({ ...PEER, likelihood: 'gaussian' }).out;
  assert.ok(conv.kind === 'conv-transpose' && conv.outChannels === 2 && conv.outputs === 2 * 784, JSON.stringify(conv));
  assert.is(vaeLayers({ ...PEER, arch: 'mlp', likelihood: 'gaussian' }).out.outputs, 2 * 784);
  assert.is(vaeLayers({ ...PEER, likelihood: 'gaussian-shared-variance' }).out.outputs, 784);
});

test('the MLP stays the default: no arch, or mlp, gives the layers and names of before', () => {
  const mlp: VaeArchitecture = { D: 784, hidden: [500], Z: 20, activation: 'relu' };
  const expected = [
    'encoder.0.weight:784x500',
    'encoder.0.bias:500',
    'encoder.head.weight:500x40',
    'encoder.head.bias:40',
    'decoder.0.weight:20x500',
    'decoder.0.bias:500',
    'decoder.out.weight:500x784',
    'decoder.out.bias:784',
  ];
  assert.equal(shapesOf(mlp), expected);
  assert.equal(shapesOf({ ...mlp, arch: 'mlp' }), expected);
  assert.equal(shapesOf(architectureOf(DEFAULT_TRAIN_CONFIG)), expected);
});

test('the image shape: given (C, H, W), or one channel of √D × √D; a non-square D without one is refused, saying how', () => {
  const rgb = vaeLayers({ ...PEER, D: 3 * 32 * 32, imageShape: [3, 32, 32] });
  assert.ok(rgb.encoder[0].kind === 'conv' && rgb.encoder[0].inChannels === 3 && rgb.encoder[0].inHeight === 32);
  assert.ok(rgb.out.kind === 'conv-transpose' && rgb.out.outChannels === 3 && rgb.out.outHeight === 32);
  assert.throws(
    () => vaeLayers({ ...PEER, D: 300 }),
    (e: Error) => e.message.includes('D = 300 is not a square') && e.message.includes('--image-shape C,H,W'),
  );
  assert.throws(
    () => vaeLayers({ ...PEER, imageShape: [1, 28, 29] }),
    /imageShape 1×28×29 holds 812 values, but rows have D = 784/,
  );
  assert.equal(parseImageShape('1,28,28'), [1, 28, 28]);
  assert.equal(parseImageShape('3x32x32'), [3, 32, 32]);
  assert.throws(() => parseImageShape('28,28'), /imageShape must be channels, height and width/);
});

const list = (encoder: unknown[], decoder: unknown[]) => parseArch({ encoder, decoder });
const conv = (channels: number, more: object = {}) => ({
  type: 'conv',
  channels,
  kernel: 4,
  stride: 2,
  padding: 1,
  ...more,
});
const convT = (channels: number, more: object = {}) => ({
  type: 'conv-transpose',
  channels,
  kernel: 4,
  stride: 2,
  padding: 1,
  ...more,
});

for (const [what, arch, expected] of [
  [
    'a convolution that does not fit its input',
    'conv:8,8,8,8,8',
    'arch encoder layer 5 (conv 8 (kernel 4, stride 2, padding 1)) does not fit its input 8×1×1: its output would be 0×0',
  ],
  [
    'a decoder whose output is not D',
    'conv:32,64,128',
    "decoder's output layer decoder.out (decoder layer 6: conv-transpose 1 (kernel 4, stride 2, padding 1)) makes 1×24×24 = 576 values per row, but rows have D = 784",
  ],
  [
    'a convolution after a flat row',
    list([], [{ type: 'dense', outputs: 49 }, convT(1)]),
    'arch decoder layer 2 (conv-transpose 1 (kernel 4, stride 2, padding 1)): its input is a flat row of 49 values, not an image: put a reshape',
  ],
  [
    'a reshape of the wrong size',
    list([], [{ type: 'dense', outputs: 50 }, { type: 'reshape', shape: [1, 7, 7] }, convT(1)]),
    'arch decoder layer 2 (reshape 1×7×7): its input is a row of 50 values, but 1×7×7 holds 49',
  ],
  [
    'an output layer with an activation',
    list([conv(4)], [{ type: 'dense', outputs: 784, activation: 'sigmoid' }]),
    "it is the output layer (decoder.out), whose outputs are logits: its activation is identity, not 'sigmoid'",
  ],
  [
    'a decoder that ends with a reshape',
    list(
      [],
      [
        { type: 'dense', outputs: 784 },
        { type: 'reshape', shape: [1, 28, 28] },
      ],
    ),
    'the decoder must end with its output layer (dense or convolution), not a reshape',
  ],
] as Array<[string, VaeArchitecture['arch'], string]>) {
  test(`${what} is refused, naming the layer`, () => {
    assert.throws(
      () => vaeLayers({ ...PEER, arch }),
      (e: Error) => e.message.includes(expected) || assert.unreachable(`expected '${expected}' in: ${e.message}`),
    );
  });
}

for (const [value, expected] of [
  ['conv:32,x', "arch must be 'mlp', 'conv:C1,C2,…'"],
  ['{"encoder": [', 'arch is not valid JSON'],
  [{ encoder: [], decoder: [] }, 'arch.decoder must end with its output layer (it is empty)'],
  [
    { encoder: [{ type: 'pool' }], decoder: [] },
    'arch.encoder[0].type must be one of dense, conv, conv-transpose, reshape, got "pool"',
  ],
  [
    { encoder: [{ type: 'conv', channels: 4 }], decoder: [] },
    'arch.encoder[0].kernel must be an integer from 1 to 65536, got undefined',
  ],
  [{ encoder: [{ type: 'dense', outputs: 4, kernel: 3 }], decoder: [] }, "arch.encoder[0] (dense) has a key 'kernel'"],
  [{ encoder: [], decoder: [], head: [] }, "arch has a key 'head'"],
  [
    { encoder: [], decoder: [{ type: 'dense', outputs: 2 ** 24 + 1 }] },
    'arch.decoder[0].outputs must be an integer from 1 to 16777216',
  ],
  [
    { encoder: [{ type: 'dense', outputs: 4, activation: 'gelu' }], decoder: [{ type: 'dense', outputs: 4 }] },
    'arch.encoder[0].activation must be one of',
  ],
] as Array<[unknown, string]>) {
  test(`arch ${JSON.stringify(value).slice(0, 60)} is refused: ${expected.slice(0, 50)}`, () => {
    assert.throws(
      () => parseArch(value),
      (e: Error) => e.message.includes(expected) || assert.unreachable(`expected '${expected}' in: ${e.message}`),
    );
  });
}

test("PyTorch's default initialisation of convolutions: U(±1/√fan_in), fan_in = in·k² (a transposed one's: out·k²)", () => {
  const layout = parameterLayout(PEER);
  const flat = initialParameters(layout, 'pytorch', 1);
  for (const [name, fanIn] of [
    ['encoder.0.weight', 1 * 16],
    ['encoder.0.bias', 1 * 16],
    ['encoder.1.weight', 32 * 16],
    ['decoder.2.weight', 32 * 16], // ConvTranspose2d(64, 32): PyTorch takes fan_in from weight dim 1 = 32
    ['decoder.out.weight', 1 * 16],
    ['decoder.out.bias', 1 * 16],
    ['encoder.2.weight', 3136],
  ] as const) {
    const e = layout.byName(name);
    const values = flat.subarray(e.offset, e.offset + e.size);
    const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const bound = 1 / Math.sqrt(fanIn);
    assert.ok(largest <= bound, `${name}: |w| ≤ ${bound}, got ${largest}`);
    if (e.size >= 32) assert.ok(largest > 0.8 * bound, `${name}: the draws reach near ±${bound}, got ${largest}`);
  }
});

test('validateTrainConfig checks the arch, and a config without arch or imageShape (before issue 24) is the MLP', () => {
  validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, arch: 'conv:32,64', hidden: [256] });
  const { arch: _a, imageShape: _i, ...older } = DEFAULT_TRAIN_CONFIG;
  validateTrainConfig(older as TrainConfig);
  assert.is(architectureOf(older as TrainConfig).arch, undefined);
  assert.throws(
    () => validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, D: 300, arch: 'conv:32,64' }),
    /D = 300 is not a square/,
  );
});

/** The TrainConfig `aevb train ARGS` would run with (commander parses; nothing runs). */
async function trainConfigOf(args: string[]): Promise<TrainConfig> {
  let config: TrainConfig | null = null;
  const command: Command = trainCommand(async (c) => {
    config = c;
  });
  command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await command.parseAsync(args, { from: 'user' });
  if (config === null) throw new Error(`aevb train ${args.join(' ')} did not run`);
  return config;
}

test('the flags: --arch conv:32,64 --hidden 256 --latent 20, --arch with a JSON layer list, --image-shape', async () => {
  const short = await trainConfigOf([
    '--arch',
    'conv:32,64',
    '--hidden',
    '256',
    '--latent',
    '20',
    '--data',
    'synthetic:10x784',
  ]);
  assert.equal([short.arch, short.hidden, short.latent], ['conv:32,64', [256], 20]);
  const json = await trainConfigOf([
    '--arch',
    JSON.stringify(PEER_LIST),
    '--image-shape',
    '1,28,28',
    '--data',
    'synthetic:10x784',
  ]);
  assert.equal(json.arch, PEER_LIST);
  assert.equal(json.imageShape, [1, 28, 28]);
  assert.equal((await trainConfigOf(['--data', 'synthetic:10x784'])).arch, 'mlp');
  await trainConfigOf(['--arch', 'conv:3x', '--data', 'synthetic:10x784']).then(
    () => assert.unreachable('conv:3x was accepted'),
    (e: Error) => assert.match(e.message, /arch must be 'mlp', 'conv:C1,C2,…'/),
  );
});

test('a --config file holds the layer list as a JSON object and the image shape as a list', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-arch-config-'));
  try {
    const file = join(dir, 'conv.json');
    writeFileSync(file, JSON.stringify({ arch: PEER_LIST, imageShape: [1, 28, 28], latent: 20 }));
    const args = expandConfigFile(
      ['node', 'aevb', 'train', '--config', file, '--data', 'synthetic:10x784'],
      trainCommand(async () => {}),
    );
    const config = await trainConfigOf(args.slice(3));
    assert.equal([config.arch, config.imageShape, config.latent], [PEER_LIST, [1, 28, 28], 20]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
