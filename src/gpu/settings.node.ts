// Node-only: the environment settings of aevb, read here and nowhere else. Browser code never touches
// process.env: a page passes the same choices as AcquireOptions fields (src/gpu/device.ts), and in Node an
// option given in code wins over the environment.

/** What the environment asks for; undefined where it says nothing. */
export interface EnvironmentSettings {
  /** AEVB_VULKAN_ICD: auto | system | lavapipe | swiftshader | path to an ICD json (src/gpu/vulkan_driver.node.ts). */
  vulkanDriver: string | undefined;
  /** VK_ICD_FILENAMES: the Vulkan loader's own variable, which AEVB_VULKAN_ICD=auto respects when set. */
  vulkanIcdFiles: string | undefined;
  /** AEVB_MATMUL: force a matmul variant (register | tiled), unchecked here; unset or empty: the adapter's choice. */
  matmulVariant: string | undefined;
  /** AEVB_BACKEND=null: Dawn's null backend, a device that does no work (for measuring host cost; see AcquireOptions.backend). */
  backend: string | undefined;
  /** AEVB_DEBUG_SHADERS=1: print every pipeline's WGSL stem, entry point and override constants as it is made. */
  debugShaders: boolean | undefined;
  /** REDIS_PASSWORD: the password of Redis URLs that carry none (streams, peers, `aevb publish`; src/cli/redis_password.node.ts). */
  redisPassword: string | undefined;
  /** REDIS_URL (Heroku, node-redis, many PaaS): the server of Redis URLs that name none, redis:///STREAM (src/cli/redis_password.node.ts). */
  redisUrl: string | undefined;
  /** RANK (torchrun), else JOB_COMPLETION_INDEX (a Kubernetes Indexed Job): a peer's rank when --peers' URL gives none; unchecked here. */
  rank: string | undefined;
  /** JOB_COMPLETION_INDEX: a Kubernetes Indexed Job's index, the rank when neither the URL nor RANK gives one. */
  jobCompletionIndex: string | undefined;
  /** WORLD_SIZE (torchrun; set it in a Job's pod template): the peers' size when --peers' URL gives none; unchecked here. */
  worldSize: string | undefined;
}

/** Reads the settings from `env` (default: this process's environment). An empty value counts as unset. */
export function readEnvironmentSettings(env: Record<string, string | undefined> = process.env): EnvironmentSettings {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  const debugShaders = value('AEVB_DEBUG_SHADERS');
  return {
    vulkanDriver: value('AEVB_VULKAN_ICD'),
    vulkanIcdFiles: value('VK_ICD_FILENAMES'),
    matmulVariant: value('AEVB_MATMUL'),
    backend: value('AEVB_BACKEND'),
    debugShaders: debugShaders === undefined ? undefined : debugShaders === '1',
    redisPassword: value('REDIS_PASSWORD'),
    redisUrl: value('REDIS_URL'),
    rank: value('RANK'),
    jobCompletionIndex: value('JOB_COMPLETION_INDEX'),
    worldSize: value('WORLD_SIZE'),
  };
}
