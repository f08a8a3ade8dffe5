// shaders/channel_sum.wgsl (a conv layer's bias gradient) against test/reference/channel_sum.ts, on the peer's
// conv layers' dPre at B = 100 and on sizes that divide no workgroup (B = 1, one pixel, planes of 1–130).
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { channelSum as referenceChannelSum } from './reference/channel_sum.ts';
import { channelSum } from '../src/kernels/channel_sum.ts';

const test = gpuSuite('channel_sum');

for (const [B, channels, size] of [
  [1, 1, 1],
  [1, 3, 130],
  [7, 5, 9],
  [100, 32, 196],
  [100, 64, 49],
  [100, 1, 784],
] as const) {
  test(`dBias = Σ over B and pixels, B=${B} channels=${channels} size=${size}`, async ({ gpu }) => {
    const a = seededUniform(B + channels + size, B * channels * size, -1, 1);
    const out = zeros(gpu, channels);
    const actual = await runAndRead(
      gpu,
      [channelSum(gpu, { B, channels, size, a: { buffer: upload(gpu, a) }, out: { buffer: out } })],
      out,
      channels,
    );
    assertClose(actual, referenceChannelSum(a, B, channels, size), {
      atol: 2e-7 * B * size + 1e-6,
      rtol: 1e-5,
      label: 'channel_sum',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  throwsWith(
    () => channelSum(gpu, { B: 2, channels: 0, size: 4, a: { buffer: zeros(gpu, 8) }, out: { buffer: zeros(gpu, 1) } }),
    ['channel_sum', 'channels must be a positive integer, got 0', 'B=2, channels=0, size=4'],
  );
  throwsWith(
    () =>
      channelSum(gpu, { B: 2, channels: 3, size: 4, a: { buffer: zeros(gpu, 23) }, out: { buffer: zeros(gpu, 3) } }),
    ['channel_sum', 'a holds 23 floats, needs 24'],
  );
  throwsWith(
    () =>
      channelSum(gpu, { B: 2, channels: 3, size: 4, a: { buffer: zeros(gpu, 24) }, out: { buffer: zeros(gpu, 2) } }),
    ['channel_sum', 'out holds 2 floats, needs 3'],
  );
});

test.run();
