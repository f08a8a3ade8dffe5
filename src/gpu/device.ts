/**
 * The one module that owns the WebGPU device. It hides where WebGPU comes from (Dawn in Node, navigator.gpu
 * in a browser), turns `uncapturederror` and `device.lost` into errors instead of console noise, caches shader
 * modules and pipelines, and hands back a handle whose destroy() releases everything.
 */
import { bundledShaderSource, type ShaderSource } from './shader_source.ts';
import { expandShader, type ExpandedShader } from './shader_includes.ts';
import type { EnvironmentSettings } from './settings.node.ts';

export interface AcquireOptions {
  /** A GPU to use instead of navigator.gpu / Dawn (e.g. a page's own navigator.gpu). */
  gpu?: GPU;
  /** Where WGSL comes from. Default: the browser entry's bundled shaders in a page, shaders/ on disk in Node. */
  shaders?: ShaderSource;
  /** Node only: the Vulkan driver, overriding the AEVB_VULKAN_ICD environment variable (see vulkan_driver.node.ts). */
  vulkanDriver?: string;
  /** 'high-performance' picks a discrete GPU where there is a choice. */
  powerPreference?: GPUPowerPreference;
  /** Accept an adapter that reports isFallbackAdapter (software renderers in browsers). Default true. */
  allowFallbackAdapter?: boolean;
  /**
   * Print every pipeline's stem, entry point and override constants as it is made, with the WGSL it compiles:
   * the shader with its `#include`s expanded (Node: AEVB_DEBUG_SHADERS=1).
   */
  debugShaders?: boolean;
  /**
   * Force a matmul kernel variant by name (Node: AEVB_MATMUL); default chosen per adapter. The names and the
   * choice live in src/kernels/matmul_variant.ts, which checks this value when the first matmul is made.
   */
  matmulVariant?: string;
  /**
   * Node only: 'null' asks Dawn for its null backend, a device that accepts every call and does nothing on the
   * device (results are garbage). It is a bench instrument, for measuring what JavaScript and Dawn cost per
   * step (Node: AEVB_BACKEND=null); never for training. Default: the Vulkan driver's real device.
   */
  backend?: 'null';
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
  private readonly modules = new Map<string, { module: GPUShaderModule; shader: ExpandedShader }>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private firstError: Error | null = null;
  // A kernel that failed to compile or link: thrown before any other error, which is likely its consequence.
  private pipelineError: Error | null = null;
  private readonly pipelineChecks = new Set<Promise<void>>();
  private readonly onError: ((error: Error) => void) | undefined;
  private destroyed = false;
  // The Dawn instance the device came from. dawn.node crashes if it is collected while the device lives,
  // so the context holds it until destroy().
  private keepAlive: unknown;

  /** `environment`: Node's AEVB_* settings (src/gpu/settings.node.ts), the fallback for options not given; {} in a browser. */
  constructor(
    device: GPUDevice,
    adapter: AdapterSummary,
    shaders: ShaderSource,
    options: AcquireOptions,
    environment: Partial<EnvironmentSettings>,
    keepAlive: unknown,
  ) {
    this.device = device;
    this.adapter = adapter;
    this.limits = device.limits;
    this.shaders = shaders;
    this.matmulVariantSetting = options.matmulVariant ?? environment.matmulVariant;
    this.debugShaders = options.debugShaders ?? environment.debugShaders ?? false;
    this.keepAlive = keepAlive;
    this.onError = options.onError;
    device.addEventListener('uncapturederror', (event) => {
      const gpuError = (event as GPUUncapturedErrorEvent).error;
      this.report(new Error(`aevb: WebGPU error: ${gpuError.message}`));
    });
    void device.lost.then((info) => {
      if (!this.destroyed) this.report(new Error(`aevb: the WebGPU device was lost (${info.reason}): ${info.message}`));
    });
  }

  private report(error: Error): void {
    if (this.firstError === null) {
      this.firstError = error;
      this.onError?.(error);
    }
  }

  /**
   * Throws the first error the device reported since it was acquired, if any; a kernel that failed to compile
   * comes first (the errors of dispatches that used it follow from it).
   */
  throwIfFailed(): void {
    if (this.destroyed) throw new Error('aevb: the GPU context was destroyed');
    const error = this.pipelineError ?? this.firstError;
    if (error) throw error;
  }

  /**
   * Waits for all submitted work and for the verdict on every pipeline made so far, then throws the first
   * reported error, if any. Await it after building a plan to have a WGSL error thrown there.
   */
  async settle(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    await Promise.all(this.pipelineChecks);
    this.throwIfFailed();
  }

  /** A compute pipeline for `entryPoint` of shaders/<stem>.wgsl with the given overrides, made once and cached. */
  pipeline(stem: string, entryPoint: string, constants: PipelineConstants = {}): GPUComputePipeline {
    const sortedConstants = Object.fromEntries(Object.entries(constants).sort(([a], [b]) => a.localeCompare(b)));
    const key = `${stem}:${entryPoint}:${JSON.stringify(sortedConstants)}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      // Read and expanded before the scope opens: an unknown stem or include throws here.
      const shader = this.modules.get(stem)?.shader ?? expandShader(stem, this.shaders);
      if (this.debugShaders) {
        console.error(`[aevb shaders] pipeline ${key}\n${shader.code}`);
      }
      // WebGPU reports a WGSL or override error asynchronously, as a generic validation error; the scope
      // catches it here, where the kernel's name and the compiler's messages can be put on it.
      this.device.pushErrorScope('validation');
      const module = this.module(shader);
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint, constants: toNumbers(sortedConstants) },
      });
      this.checkPipeline(
        this.device.popErrorScope(),
        module,
        shader,
        `kernel ${stem} (entry point '${entryPoint}', constants ${JSON.stringify(sortedConstants)})`,
      );
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /**
   * Turns the verdict of a pipeline's error scope into an error naming the kernel, with the compiler's messages
   * at the file and line they point into (a line of an included prelude names the prelude).
   */
  private checkPipeline(
    scope: Promise<GPUError | null>,
    module: GPUShaderModule,
    shader: ExpandedShader,
    kernel: string,
  ): void {
    const check = (async () => {
      const error = await scope;
      if (error === null) return;
      const info = await module.getCompilationInfo();
      const compiler = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => {
          const at = shader.origin(m.lineNum);
          return `  ${at.file}:${at.line}:${m.linePos}: ${m.message}`;
        });
      const detail = compiler.length > 0 ? compiler.join('\n') : `  ${error.message.trim()}`;
      const failure = new Error(`aevb: ${kernel} could not be made:\n${detail}`);
      this.pipelineError ??= failure;
      this.report(failure);
    })().catch(() => {
      // Only a lost or destroyed device rejects here, and the device's loss is reported on its own.
    });
    this.pipelineChecks.add(check);
    void check.then(() => this.pipelineChecks.delete(check));
  }

  private module(shader: ExpandedShader): GPUShaderModule {
    let made = this.modules.get(shader.stem);
    if (made === undefined) {
      made = { module: this.device.createShaderModule({ label: `${shader.stem}.wgsl`, code: shader.code }), shader };
      this.modules.set(shader.stem, made);
    }
    return made.module;
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

// The npm package 'webgpu' (Dawn) is an optional peer dependency, so that browser-only users never download it.
function explainMissingDawn(error: unknown): never {
  if (
    (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' &&
    String((error as Error).message).includes("'webgpu'")
  ) {
    throw new Error(
      "aevb: WebGPU in Node needs the npm package 'webgpu' (Dawn), an optional peer dependency of aevb: run `npm install webgpu`",
    );
  }
  throw error;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

// Node-only modules, imported lazily and only where isNode() holds. The specifiers are plain literals, so a
// bundler sees exactly which files they are (a template literal made esbuild warn '[empty-glob]' in every app
// importing aevb); the browser builds (vite.lib.config.ts, vite.config.ts) replace each with a module that
// throws saying that aevb's browser build was loaded in Node (build/node_only_stub.ts).
const nodeOnly = {
  settings: () => import('./settings.node.ts'),
  dawn: () => import('./dawn.node.ts'),
  shaderFiles: () => import('./shader_files.node.ts'),
  vulkanDriver: () => import('./vulkan_driver.node.ts'),
};

/**
 * Acquires a WebGPU device: options.gpu, else navigator.gpu, else (in Node) Dawn through the `webgpu`
 * package on the Vulkan driver chosen by options.vulkanDriver / AEVB_VULKAN_ICD.
 * Throws with what to install when no adapter can be had.
 */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  let gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  let shaders = options.shaders ?? bundledShaderSource();
  let keepAlive: unknown = null;
  let driver = 'browser';
  let installHint = 'Use a browser with WebGPU enabled (Chrome/Edge 113+, Firefox 141+ on Windows, Safari 26+).';
  let environment: Partial<EnvironmentSettings> = {};
  if (isNode()) {
    const settings = await nodeOnly.settings();
    environment = settings.readEnvironmentSettings();
  }
  if (gpu === undefined) {
    if (!isNode()) throw new Error(`aevb: this environment has no WebGPU (navigator.gpu is undefined). ${installHint}`);
    const dawn = await nodeOnly.dawn().catch(explainMissingDawn);
    const files = await nodeOnly.shaderFiles();
    const { INSTALL_HINT } = await nodeOnly.vulkanDriver();
    const backend = options.backend ?? environment.backend;
    if (backend !== undefined && backend !== 'null')
      throw new Error(
        `aevb: unknown backend '${backend}' (AEVB_BACKEND or acquireDevice's backend): the one choice is 'null', for measuring host cost`,
      );
    const created = dawn.createDawnGpu(options.vulkanDriver, backend);
    gpu = created.gpu;
    keepAlive = created.instance;
    driver =
      backend === 'null'
        ? 'null backend (does no work)'
        : `${created.driver.requested}${created.driver.icdFiles ? ` → ${created.driver.icdFiles}` : ''}`;
    installHint = INSTALL_HINT;
    shaders ??= files.shaderFilesFromDisk();
  }
  if (shaders === undefined) {
    throw new Error(
      "aevb: acquireDevice needs options.shaders in a browser: import aevb's browser entry (a bundler's 'browser' condition picks it), which bundles them",
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (adapter === null) {
    throw new Error(`aevb: no WebGPU adapter is available (driver: ${driver}).\n${installHint}`);
  }
  const isFallbackAdapter = Boolean(
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? adapter.info.isFallbackAdapter,
  );
  if (isFallbackAdapter && options.allowFallbackAdapter === false) {
    throw new Error(
      `aevb: the only WebGPU adapter is a fallback (software) adapter (${adapter.info.description}) and allowFallbackAdapter is false`,
    );
  }
  // Ask for the adapter's own limits where our buffers can outgrow the defaults (large models, large B), and
  // for subgroups where the adapter has them (src/kernels/matmul_variant.ts chooses a kernel that uses them), and
  // for timestamp-query where it has it (only benchmarks read it: bench/kernels.ts times each kernel on the device).
  const subgroups = adapter.features.has('subgroups');
  const timestamps = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({
    label: 'aevb',
    requiredFeatures: [
      ...(subgroups ? ['subgroups' as const] : []),
      ...(timestamps ? ['timestamp-query' as const] : []),
    ],
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
    subgroups:
      subgroups && info.subgroupMinSize !== undefined && info.subgroupMaxSize !== undefined
        ? { minSize: info.subgroupMinSize, maxSize: info.subgroupMaxSize }
        : null,
  };
  return new GpuContext(device, summary, shaders, options, environment, keepAlive);
}
