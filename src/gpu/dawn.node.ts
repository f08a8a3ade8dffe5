// Node-only: the WebGPU implementation for Node, Dawn (npm `webgpu`), with the Vulkan driver chosen first.
import { create, globals } from 'webgpu';
import { resolveVulkanDriver, type DriverChoice, type VulkanDriver } from './vulkan_driver.node.ts';

let processDriver: DriverChoice | null = null;

export interface DawnGpu {
  /** The navigator.gpu equivalent. */
  gpu: GPU;
  /** The object dawn.node returned: it must stay reachable while any device made from it lives (see below). */
  instance: unknown;
  driver: DriverChoice;
}

/**
 * Creates a Dawn GPU instance (with `backend` 'null', Dawn's null backend). The Vulkan driver is chosen once per process: a later call asking for a
 * different one throws instead of silently running on the first.
 *
 * dawn.node crashes (SIGSEGV, mutex aborts, hangs) when the object returned by create() is garbage-collected
 * while a device made from it is alive, so the caller must keep `instance` referenced until device.destroy().
 */
export function createDawnGpu(driver: VulkanDriver | undefined, backend?: 'null'): DawnGpu {
  const choice = resolveVulkanDriver(driver);
  if (processDriver === null) {
    if (choice.icdFiles !== null) process.env.VK_ICD_FILENAMES = choice.icdFiles;
    // WebGPU's enum-like globals (GPUBufferUsage, GPUMapMode, …) as a browser has them.
    Object.assign(globalThis, globals);
    processDriver = choice;
  } else if (processDriver.icdFiles !== choice.icdFiles) {
    throw new Error(
      `aevb: this process already loaded the Vulkan driver '${processDriver.requested}' (${processDriver.icdFiles ?? 'system'}); ` +
        `'${choice.requested}' cannot be loaded beside it. Use one driver per process.`,
    );
  }
  // Dawn's null backend does nothing on the device: a bench instrument for host cost (AcquireOptions.backend).
  const instance = create(backend === 'null' ? ['backend=null'] : []);
  return { gpu: instance as GPU, instance, driver: choice };
}
