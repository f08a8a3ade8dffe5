// The device boundary (src/gpu/device.ts): adapter facts, errors surfaced instead of swallowed, a clear
// message when there is no adapter, and a Node process that exits by itself.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { gpuSuite, throwsWith } from './gpu_suite.ts';
import { acquireDevice } from '../src/gpu/device.ts';
import { readEnvironmentSettings } from '../src/gpu/settings.node.ts';
import { shaderFilesFromDisk } from '../src/gpu/shader_files.node.ts';
import type { ShaderSource } from '../src/gpu/shader_source.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import { columnSum } from '../src/kernels/column_sum.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('device');
const fixture = fileURLToPath(new URL('./fixtures/acquire_and_exit.ts', import.meta.url));

/** Runs the fixture in a fresh Node process (the Vulkan driver is chosen once per process). */
function runFixture(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', fixture],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

test('the handle describes its adapter and limits', ({ gpu }) => {
  assert.type(gpu.adapter.description, 'string');
  assert.ok(gpu.adapter.driver.length > 0);
  assert.ok(gpu.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024, 'storage bindings of at least 128 MiB');
});

test('a validation error surfaces as an error, not as console noise', async () => {
  const reported: Error[] = [];
  const gpu = await acquireDevice({ onError: (e) => reported.push(e) });
  try {
    // MAP_READ may only be combined with COPY_DST: this buffer is invalid.
    gpu.device.createBuffer({
      label: 'invalid on purpose',
      size: 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE,
    });
    let thrown: Error | null = null;
    try {
      await gpu.settle();
    } catch (e) {
      thrown = e as Error;
    }
    assert.ok(thrown, 'settle() must reject after a validation error');
    assert.match(thrown!.message, 'WebGPU error');
    assert.is(reported.length, 1, 'onError is called once with the first error');
  } finally {
    gpu.destroy();
  }
});

test('a lost device surfaces as an error', async () => {
  const gpu = await acquireDevice();
  gpu.device.destroy(); // behind the handle's back: to the handle this is a loss
  await gpu.device.lost;
  await new Promise((r) => setTimeout(r, 0));
  throwsWith(() => gpu.throwIfFailed(), ['device was lost']);
  gpu.destroy();
  throwsWith(() => gpu.throwIfFailed(), ['destroyed']);
});

test('the process exits by itself, with and without destroy()', async () => {
  for (const destroy of ['1', '0']) {
    const run = await runFixture({ DESTROY: destroy });
    assert.is(run.code, 0, `DESTROY=${destroy}: exit code ${run.code}, stderr: ${run.stderr}`);
    assert.equal(JSON.parse(run.stdout).sums, [4, 6]);
  }
});

test('a missing Vulkan driver file is refused with what to install', async () => {
  const run = await runFixture({ AEVB_VULKAN_ICD: '/nonexistent/icd.json' });
  assert.is.not(run.code, 0);
  assert.match(run.stderr, "Vulkan driver '/nonexistent/icd.json' not found");
  assert.match(run.stderr, 'mesa-vulkan-drivers');
});

test('no adapter at all is an error that says what to install', async () => {
  // A well-formed ICD manifest whose library does not exist: the loader finds no device.
  const dir = mkdtempSync(join(tmpdir(), 'aevb-icd-'));
  const icd = join(dir, 'missing_icd.json');
  writeFileSync(
    icd,
    JSON.stringify({
      file_format_version: '1.0.0',
      ICD: { library_path: join(dir, 'libmissing.so'), api_version: '1.3.0' },
    }),
  );
  const run = await runFixture({ AEVB_VULKAN_ICD: icd });
  assert.is.not(run.code, 0);
  assert.match(run.stderr, 'no WebGPU adapter is available');
  assert.match(run.stderr, 'bookworm-backports');
});

test("a WGSL error names the kernel and carries the compiler's message, ahead of the errors it causes", async () => {
  const disk = shaderFilesFromDisk();
  // column_sum.wgsl with one more line that refers to a name nothing declares.
  const broken: ShaderSource = (stem) =>
    stem === 'column_sum' ? `${disk(stem)}\nconst BROKEN: f32 = not_declared_anywhere;\n` : disk(stem);
  const brokenLine = disk('column_sum').split('\n').length + 1;
  const reported: Error[] = [];
  const gpu = await acquireDevice({ shaders: broken, onError: (e) => reported.push(e) });
  try {
    const a = createStorageBuffer(gpu, 'a', Float32Array.from([1, 2, 3, 4]));
    const out = createStorageBuffer(gpu, 'out', 2);
    // Dispatching the invalid pipeline adds a generic validation error; the compile error must still come first.
    submitDispatches(gpu, [columnSum(gpu, { M: 2, N: 2, a: { buffer: a }, out: { buffer: out } })]);
    let thrown: Error | null = null;
    try {
      await gpu.settle();
    } catch (e) {
      thrown = e as Error;
    }
    assert.ok(thrown, 'settle() must reject after a WGSL error');
    assert.match(thrown!.message, "kernel column_sum (entry point 'main'");
    assert.match(thrown!.message, `column_sum.wgsl:${brokenLine}:`);
    assert.match(thrown!.message, "unresolved value 'not_declared_anywhere'");
    assert.is(reported.length, 1, 'onError is called once');
  } finally {
    gpu.destroy();
  }
});

test('a WGSL error inside an included prelude names the prelude and its own line', async () => {
  const disk = shaderFilesFromDisk();
  // lib/activations.wgsl (which gaussian_head.wgsl includes) with one more line that refers to nothing.
  const broken: ShaderSource = (stem) =>
    stem === 'lib/activations' ? `${disk(stem)}const BROKEN: f32 = not_declared_anywhere;\n` : disk(stem);
  const brokenLine = disk('lib/activations').split('\n').length;
  const gpu = await acquireDevice({ shaders: broken });
  try {
    gpu.pipeline('gaussian_head', 'forward', { WG: 64, BOUND: 15 });
    let message = '';
    await gpu.settle().catch((e: Error) => (message = e.message));
    assert.match(message, "kernel gaussian_head (entry point 'forward'");
    assert.match(message, `lib/activations.wgsl:${brokenLine}:`);
    assert.match(message, "unresolved value 'not_declared_anywhere'");
  } finally {
    gpu.destroy();
  }
});

test('a missing override names the kernel and the constant', async ({ gpu: shared }) => {
  const gpu = await acquireDevice({ shaders: shared.shaders });
  try {
    gpu.pipeline('column_sum', 'main', {}); // WG has no default in the shader: the wrapper must pass it
    let message = '';
    await gpu.settle().catch((e: Error) => (message = e.message));
    assert.match(message, "kernel column_sum (entry point 'main', constants {})");
    assert.match(message, 'WG');
  } finally {
    gpu.destroy();
  }
});

test('the environment settings are read by name; empty counts as unset', () => {
  assert.equal(readEnvironmentSettings({}), {
    vulkanDriver: undefined,
    vulkanIcdFiles: undefined,
    matmulVariant: undefined,
    backend: undefined,
    debugShaders: undefined,
    redisPassword: undefined,
    redisUrl: undefined,
    rank: undefined,
    jobCompletionIndex: undefined,
    worldSize: undefined,
  });
  assert.equal(
    readEnvironmentSettings({
      AEVB_VULKAN_ICD: 'swiftshader',
      VK_ICD_FILENAMES: '/a.json',
      AEVB_MATMUL: 'tiled',
      AEVB_BACKEND: 'null',
      AEVB_DEBUG_SHADERS: '1',
      REDIS_PASSWORD: 'pw',
      REDIS_URL: 'redis://cache:6380',
      RANK: '3',
      JOB_COMPLETION_INDEX: '5',
      WORLD_SIZE: '8',
    }),
    {
      vulkanDriver: 'swiftshader',
      vulkanIcdFiles: '/a.json',
      matmulVariant: 'tiled',
      backend: 'null',
      debugShaders: true,
      redisPassword: 'pw',
      redisUrl: 'redis://cache:6380',
      rank: '3',
      jobCompletionIndex: '5',
      worldSize: '8',
    },
  );
  assert.equal(readEnvironmentSettings({ AEVB_MATMUL: '', AEVB_DEBUG_SHADERS: '0' }).matmulVariant, undefined);
  assert.is(readEnvironmentSettings({ AEVB_DEBUG_SHADERS: '0' }).debugShaders, false);
});

test('AEVB_DEBUG_SHADERS and AEVB_MATMUL reach the device from the environment', async () => {
  const debug = await runFixture({ AEVB_DEBUG_SHADERS: '1' });
  assert.is(debug.code, 0, debug.stderr);
  assert.match(debug.stderr, '[aevb shaders] pipeline column_sum:main');
  const bogus = await runFixture({ AEVB_MATMUL: 'bogus' });
  assert.is.not(bogus.code, 0);
  assert.match(bogus.stderr, 'AEVB_MATMUL');
  assert.match(bogus.stderr, "'bogus'");
});

test("AEVB_BACKEND=null gives Dawn's null backend, which says it does no work; another value is refused by name", async () => {
  const nullBackend = await runFixture({ AEVB_BACKEND: 'null' });
  assert.is(nullBackend.code, 0, nullBackend.stderr);
  assert.is(JSON.parse(nullBackend.stdout).adapter.driver, 'null backend (does no work)');
  const bogus = await runFixture({ AEVB_BACKEND: 'vulkan' });
  assert.is.not(bogus.code, 0);
  assert.match(bogus.stderr, "unknown backend 'vulkan'");
});

test('only src/gpu/settings.node.ts reads the environment', () => {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  const readers = (readdirSync(src, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && file !== join('gpu', 'settings.node.ts'))
    // Setting VK_ICD_FILENAMES for the Vulkan loader (dawn.node.ts) is a write, not a read.
    .filter((file) => /process\.env(?!\.VK_ICD_FILENAMES = )/.test(readFileSync(join(src, file), 'utf8')));
  assert.equal(readers, []);
});

test('the driver is chosen once per process', async () => {
  // Any existing manifest other than the one in use (the check happens before anything is loaded).
  const other = join(mkdtempSync(join(tmpdir(), 'aevb-icd-')), 'other_icd.json');
  writeFileSync(other, '{}');
  let message = '';
  try {
    const second = await acquireDevice({ vulkanDriver: other });
    second.destroy();
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, 'already loaded the Vulkan driver');
});

test.run();
