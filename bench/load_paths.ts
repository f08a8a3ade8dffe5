/**
 * What one float costs to bring into a lane, by where it comes from: the same loop of gathered loads (each lane
 * its own address, as a convolution's taps are) from a storage buffer (f32 and vec4), a uniform buffer, a
 * sampled r32float texture (textureLoad) and workgroup memory; and the same loop with one address for the whole
 * subgroup. Issue 24 asked whether the conv kernels could leave storage buffers for a cheaper path on lavapipe,
 * where a storage load becomes a per-lane loop of bounds checks and branches (shaders/matmul_lanes.wgsl's
 * header); this prints the answer for the current adapter as ns per float and as a ratio to the f32 storage
 * gather, with the loop's own cost (no load) beside them.
 *
 * Each workgroup is one subgroup of 8 lanes; every lane adds up LOADS values from addresses that differ by lane
 * (or, for "uniform", by nothing) into 4 independent sums, so the figure is load throughput, not the latency of
 * one chain of additions. Device time (timestamp-query) where the adapter has it, else wall time.
 *
 *   node --import tsx bench/load_paths.ts
 */
import { acquireDevice } from '../src/gpu/device.ts';
import { measure, runRepeated } from './timing.ts';
import type { KernelDispatch } from '../src/kernels/kernel.ts';

const FLOATS = 1 << 20;
const TEXTURE_WIDTH = 8192;
const UNIFORM_FLOATS = 16384; // 64 KiB: WebGPU's default maxUniformBufferBindingSize
const WORKGROUP_FLOATS = 4096;
const WORKGROUPS = 2048;
const LOADS = 256; // per lane and launch, in 4 sums of LOADS / 4

const gpu = await acquireDevice();
const { device } = gpu;
const values = Float32Array.from({ length: FLOATS }, (_, i) => (i % 97) * 0.01);
const storage = device.createBuffer({ size: FLOATS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(storage, 0, values);
const uniform = device.createBuffer({
  size: UNIFORM_FLOATS * 4,
  usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
});
device.queue.writeBuffer(uniform, 0, values.subarray(0, UNIFORM_FLOATS));
const texture = device.createTexture({
  size: [TEXTURE_WIDTH, FLOATS / TEXTURE_WIDTH],
  format: 'r32float',
  usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
});
device.queue.writeTexture({ texture }, values, { bytesPerRow: TEXTURE_WIDTH * 4 }, [
  TEXTURE_WIDTH,
  FLOATS / TEXTURE_WIDTH,
]);
const sink = device.createBuffer({ size: WORKGROUPS * 8 * 4, usage: GPUBufferUsage.STORAGE });

// The address of load n of this lane: spread over the whole source, 7 floats apart between lanes.
const laneAddress = (mask: number) => `(base + n * 1031u + lane * 7u) & ${mask}u`;
const uniformAddress = (mask: number) => `(base + n * 1031u) & ${mask}u`;

/** The loop body per path: `value(n)` is the float load n brings. */
const PATHS: { name: string; floatsPerLoad: number; load: string }[] = [
  { name: 'storage f32, per lane', floatsPerLoad: 1, load: `src[${laneAddress(FLOATS - 1)}]` },
  { name: 'storage f32, uniform', floatsPerLoad: 1, load: `src[${uniformAddress(FLOATS - 1)}]` },
  {
    name: 'storage vec4, per lane',
    floatsPerLoad: 4,
    load: `dot(src4[(${laneAddress(FLOATS - 1)}) >> 2u], vec4(1.0))`,
  },
  {
    name: 'uniform buffer, per lane',
    floatsPerLoad: 1,
    load: `ub[(${laneAddress(UNIFORM_FLOATS - 1)}) >> 2u][(${laneAddress(3)})]`,
  },
  {
    name: 'texture r32float, per lane',
    floatsPerLoad: 1,
    load: `texel(${laneAddress(FLOATS - 1)})`,
  },
  { name: 'workgroup memory, per lane', floatsPerLoad: 1, load: `shared_values[${laneAddress(WORKGROUP_FLOATS - 1)}]` },
  {
    name: 'subgroupShuffle, per lane',
    floatsPerLoad: 1,
    load: `subgroupShuffle(f32(n) + f32(lane), (lane * 3u + n) & 7u)`,
  },
  { name: 'subgroupBroadcast, constant', floatsPerLoad: 1, load: `subgroupBroadcast(f32(n) + f32(lane), 3u)` },
  { name: 'no load (the loop alone)', floatsPerLoad: 1, load: `f32(n) * 0.5` },
];

function shader(load: string): string {
  const bindings = [
    load.includes('src[') ? '@group(0) @binding(0) var<storage, read> src: array<f32>;' : '',
    load.includes('src4[') ? '@group(0) @binding(0) var<storage, read> src4: array<vec4<f32>>;' : '',
    load.includes('ub[') ? `@group(0) @binding(2) var<uniform> ub: array<vec4<f32>, ${UNIFORM_FLOATS / 4}>;` : '',
    load.includes('texel(') ? '@group(0) @binding(3) var tex: texture_2d<f32>;' : '',
  ].join('\n');
  const texel = load.includes('texel(')
    ? `fn texel(e: u32) -> f32 { return textureLoad(tex, vec2<u32>(e % ${TEXTURE_WIDTH}u, e / ${TEXTURE_WIDTH}u), 0).x; }`
    : '';
  const fill = load.includes('shared_values')
    ? `for (var j = lane; j < ${WORKGROUP_FLOATS}u; j += 8u) { shared_values[j] = f32(j); }\n  workgroupBarrier();`
    : '';
  return `enable subgroups;
${bindings}
@group(0) @binding(1) var<storage, read_write> sink: array<f32>;
var<workgroup> shared_values: array<f32, ${WORKGROUP_FLOATS}>;
${texel}
@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  ${fill}
  let base = wid.x * 131u;
  var sums = vec4(0.0);
  for (var m = 0u; m < ${LOADS / 4}u; m++) {
    var n = 4u * m;
    let x = ${load};
    n += 1u;
    let y = ${load};
    n += 1u;
    let z = ${load};
    n += 1u;
    let w = ${load};
    sums += vec4(x, y, z, w);
  }
  sink[wid.x * 8u + lane] = dot(sums, vec4(1.0));
}`;
}

function dispatchFor(name: string, load: string): KernelDispatch {
  const module = device.createShaderModule({ label: `load_paths ${name}`, code: shader(load) });
  const pipeline = device.createComputePipeline({ label: `load_paths ${name}`, layout: 'auto', compute: { module } });
  const entries: GPUBindGroupEntry[] = [{ binding: 1, resource: { buffer: sink } }];
  if (load.includes('src')) entries.push({ binding: 0, resource: { buffer: storage } });
  if (load.includes('ub[')) entries.push({ binding: 2, resource: { buffer: uniform } });
  if (load.includes('texel(')) entries.push({ binding: 3, resource: texture.createView() });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  return { label: name, pipeline, bindGroup, workgroups: [WORKGROUPS, 1, 1] };
}

console.log(
  `adapter: ${gpu.adapter.description} (${gpu.adapter.driver}); ${WORKGROUPS} subgroups of 8 lanes × ${LOADS} loads each`,
);
const floatsPerLaunch = WORKGROUPS * 8 * LOADS;
const rows: { name: string; ns: number }[] = [];
for (const path of PATHS) {
  const dispatch = dispatchFor(path.name, path.load);
  const t = await measure((reps) => runRepeated(gpu, dispatch, reps), 0.5, 3);
  await gpu.settle();
  const seconds = t.deviceSeconds ?? t.seconds;
  rows.push({ name: path.name, ns: (seconds * 1e9) / (floatsPerLaunch * path.floatsPerLoad) });
}
const reference = rows[0].ns;
for (const r of rows)
  console.log(
    `${r.name.padEnd(28)} ${r.ns.toFixed(3).padStart(7)} ns per float   ${(r.ns / reference).toFixed(2)}× a storage f32 gather`,
  );
gpu.destroy();
process.exit(0);
