/**
 * The one module that owns the WebGPU device. It hides where WebGPU comes from (Dawn in Node, navigator.gpu
 * in a browser), turns `uncapturederror` and `device.lost` into errors instead of console noise, caches shader
 * modules and pipelines, and hands back a handle whose destroy() releases everything.
 */
import type { ShaderSource } from './shader_source.ts';

export interface AcquireOptions {
  /** A GPU to use instead of navigator.gpu / Dawn (e.g. a page's own navigator.gpu). */
  gpu?: GPU;
  /** Where WGSL comes from. Required in a browser (import the shaders through the bundler); Node reads shaders/. */
  shaders?: ShaderSource;
  /** Node only: the Vulkan driver, overriding the AEVB_VULKAN_ICD environment variable (see vulkan_driver.node.ts). */
  vulkanDriver?: string;
  /** 'high-performance' picks a discrete GPU where there is a choice. */
  powerPreference?: GPUPowerPreference;
  /** Accept an adapter that reports isFallbackAdapter (software renderers in browsers). Default true. */
  allowFallbackAdapter?: boolean;
  /** Print every pipeline's WGSL stem, entry point and override constants as it is made (Node: AEVB_DEBUG_SHADERS=1). */
  debugShaders?: boolean;
  /**
   * Force a matmul kernel variant by name (Node: AEVB_MATMUL); default chosen per adapter. The names and the
   * choice live in src/kernels/matmul_variant.ts, which checks this value when the first matmul is made.
   */
  matmulVariant?: string;
  /** Called with the first error the device reports (validation, out of memory, loss). Default: none. */
  onError?: (error: Error) => void;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** Node: which Vulkan driver was asked for; browser: 'browser'. */
  driver: string;
  /** Subgroup sizes the adapter reports when the device was given the `subgroups` feature; null without it. */
  subgroups: { minSize: number; maxSize: number } | null;
}

/** Override constants of a pipeline: WGSL `override` names to values. */
export type PipelineConstants = Record<string, number | boolean>;

export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  readonly limits: GPUSupportedLimits;
  readonly shaders: ShaderSource;
  /** The matmul variant asked for by options.matmulVariant or AEVB_MATMUL, unchecked; undefined: choose per adapter. */
  readonly matmulVariantSetting: string | undefined;
  private readonly debugShaders: boolean;
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private firstError: Error | null = null;
  private destroyed = false;
  // The Dawn instance the device came from. dawn.node crashes if it is collected while the device lives,
  // so the context holds it until destroy().
  private keepAlive: unknown;

  constructor(device: GPUDevice, adapter: AdapterSummary, shaders: ShaderSource, options: AcquireOptions, keepAlive: unknown) {
    this.device = device;
    this.adapter = adapter;
    this.limits = device.limits;
    this.shaders = shaders;
    this.matmulVariantSetting = options.matmulVariant ?? (isNode() ? process.env.AEVB_MATMUL || undefined : undefined);
    this.debugShaders = options.debugShaders ?? (isNode() && process.env.AEVB_DEBUG_SHADERS === '1');
    this.keepAlive = keepAlive;
    const report = (error: Error) => {
      if (this.firstError === null) {
        this.firstError = error;
        options.onError?.(error);
      }
    };
    device.addEventListener('uncapturederror', (event) => {
      const gpuError = (event as GPUUncapturedErrorEvent).error;
      report(new Error(`aevb: WebGPU error: ${gpuError.message}`));
    });
    void device.lost.then((info) => {
      if (!this.destroyed) report(new Error(`aevb: the WebGPU device was lost (${info.reason}): ${info.message}`));
    });
  }

  /** Throws the first error the device reported since it was acquired, if any. */
  throwIfFailed(): void {
    if (this.destroyed) throw new Error('aevb: the GPU context was destroyed');
    if (this.firstError) throw this.firstError;
  }

  /** Waits for all submitted work, then throws the first reported error, if any. */
  async settle(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfFailed();
  }

  /** A compute pipeline for `entryPoint` of shaders/<stem>.wgsl with the given overrides, made once and cached. */
  pipeline(stem: string, entryPoint: string, constants: PipelineConstants = {}): GPUComputePipeline {
    const sortedConstants = Object.fromEntries(Object.entries(constants).sort(([a], [b]) => a.localeCompare(b)));
    const key = `${stem}:${entryPoint}:${JSON.stringify(sortedConstants)}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      if (this.debugShaders) {
        console.error(`[aevb shaders] pipeline ${key}\n${this.shaders(stem)}`);
      }
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.module(stem), entryPoint, constants: toNumbers(sortedConstants) },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  private module(stem: string): GPUShaderModule {
    let module = this.modules.get(stem);
    if (module === undefined) {
      module = this.device.createShaderModule({ label: `${stem}.wgsl`, code: this.shaders(stem) });
      this.modules.set(stem, module);
    }
    return module;
  }

  /** Releases the device and everything made from it. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pipelines.clear();
    this.modules.clear();
    this.device.destroy();
    this.keepAlive = null;
  }
}

function toNumbers(constants: PipelineConstants): Record<string, number> {
  return Object.fromEntries(Object.entries(constants).map(([k, v]) => [k, typeof v === 'boolean' ? Number(v) : v]));
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Acquires a WebGPU device: options.gpu, else navigator.gpu, else (in Node) Dawn through the `webgpu`
 * package on the Vulkan driver chosen by options.vulkanDriver / AEVB_VULKAN_ICD.
 * Throws with what to install when no adapter can be had.
 */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  let gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  let shaders = options.shaders;
  let keepAlive: unknown = null;
  let driver = 'browser';
  let installHint = 'Use a browser with WebGPU enabled (Chrome/Edge 113+, Firefox 141+ on Windows, Safari 26+).';
  if (gpu === undefined) {
    if (!isNode()) throw new Error(`aevb: this environment has no WebGPU (navigator.gpu is undefined). ${installHint}`);
    // Node-only modules are imported here, lazily, through specifiers a bundler does not follow, so a browser
    // build never contains them (this branch never runs where navigator.gpu exists).
    const nodeOnly = (name: string) => import(/* @vite-ignore */ `./${name}.node.ts`);
    const dawn = (await nodeOnly('dawn')) as typeof import('./dawn.node.ts');
    const files = (await nodeOnly('shader_files')) as typeof import('./shader_files.node.ts');
    const { INSTALL_HINT } = (await nodeOnly('vulkan_driver')) as typeof import('./vulkan_driver.node.ts');
    const created = dawn.createDawnGpu(options.vulkanDriver);
    gpu = created.gpu;
    keepAlive = created.instance;
    driver = `${created.driver.requested}${created.driver.icdFiles ? ` → ${created.driver.icdFiles}` : ''}`;
    installHint = INSTALL_HINT;
    shaders ??= files.shaderFilesFromDisk();
  }
  if (shaders === undefined) {
    throw new Error('aevb: acquireDevice needs options.shaders in a browser (import shaders/*.wgsl as text through the bundler)');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (adapter === null) {
    throw new Error(`aevb: no WebGPU adapter is available (driver: ${driver}).\n${installHint}`);
  }
  const isFallbackAdapter = Boolean((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? adapter.info.isFallbackAdapter);
  if (isFallbackAdapter && options.allowFallbackAdapter === false) {
    throw new Error(`aevb: the only WebGPU adapter is a fallback (software) adapter (${adapter.info.description}) and allowFallbackAdapter is false`);
  }
  // Ask for the adapter's own limits where our buffers can outgrow the defaults (large models, large B), and
  // for subgroups where the adapter has them (src/kernels/matmul_variant.ts chooses a kernel that uses them).
  const subgroups = adapter.features.has('subgroups');
  const device = await adapter.requestDevice({
    label: 'aevb',
    requiredFeatures: subgroups ? ['subgroups'] : [],
    requiredLimits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  const info = adapter.info;
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter,
    driver,
    subgroups: subgroups && info.subgroupMinSize !== undefined && info.subgroupMaxSize !== undefined ? { minSize: info.subgroupMinSize, maxSize: info.subgroupMaxSize } : null,
  };
  return new GpuContext(device, summary, shaders, options, keepAlive);
}
