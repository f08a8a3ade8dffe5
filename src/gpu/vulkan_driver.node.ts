// Node-only: which Vulkan driver (ICD) Dawn loads. Dawn's Vulkan loader reads VK_ICD_FILENAMES once, when
// the first GPU instance is created, so the choice is made once per process, before that.
import { existsSync, readdirSync } from 'node:fs';
import { readEnvironmentSettings, type EnvironmentSettings } from './settings.node.ts';

/** The software drivers aevb knows by name, and where Debian bookworm installs them. */
export const KNOWN_ICD_FILES = {
  // Mesa's lavapipe, bookworm-backports `mesa-vulkan-drivers` (25.x; bookworm's own 22.x is too old for Dawn).
  lavapipe: '/usr/share/vulkan/icd.d/lvp_icd.json',
  // Google's SwiftShader, shipped inside Debian's `chromium` package.
  swiftshader: '/usr/lib/chromium/vk_swiftshader_icd.json',
} as const;

/**
 * 'auto': the system's drivers (a real GPU wins when there is one; on a GPU-less machine with Mesa that is
 *         lavapipe, which bench/vulkan_drivers.ts measured 24.6× faster than SwiftShader on a whole
 *         SGVB step here: 1065 vs 43 samples/s), falling back to
 *         SwiftShader when no system driver is installed.
 * 'system': whatever the Vulkan loader finds.  'lavapipe' | 'swiftshader': that software driver only.
 * Anything else is taken as the path of an ICD json file.
 */
export type VulkanDriver = 'auto' | 'system' | 'lavapipe' | 'swiftshader' | (string & {});

export interface DriverChoice {
  /** What was asked for, after the AEVB_VULKAN_ICD environment variable. */
  requested: string;
  /** The ICD file(s) given to the loader, or null for the loader's own search. */
  icdFiles: string | null;
}

const SYSTEM_ICD_DIRECTORIES = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

function systemHasIcds(): boolean {
  return SYSTEM_ICD_DIRECTORIES.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json')));
}

/**
 * Resolves the driver request (else the environment's AEVB_VULKAN_ICD, else 'auto') to ICD files, throwing
 * with what to install when the named one is missing.
 */
export function resolveVulkanDriver(
  requested: VulkanDriver | undefined,
  settings: Pick<EnvironmentSettings, 'vulkanDriver' | 'vulkanIcdFiles'> = readEnvironmentSettings(),
): DriverChoice {
  const asked = requested ?? settings.vulkanDriver ?? 'auto';
  if (asked === 'auto') {
    if (settings.vulkanIcdFiles)
      return { requested: 'auto (VK_ICD_FILENAMES from the environment)', icdFiles: settings.vulkanIcdFiles };
    if (systemHasIcds()) return { requested: 'auto (system drivers)', icdFiles: null };
    if (existsSync(KNOWN_ICD_FILES.swiftshader))
      return { requested: 'auto (swiftshader)', icdFiles: KNOWN_ICD_FILES.swiftshader };
    return { requested: 'auto (no Vulkan driver installed)', icdFiles: null };
  }
  if (asked === 'system') return { requested: asked, icdFiles: null };
  const path = asked in KNOWN_ICD_FILES ? KNOWN_ICD_FILES[asked as keyof typeof KNOWN_ICD_FILES] : asked;
  if (!existsSync(path)) {
    throw new Error(`aevb: Vulkan driver '${asked}' not found: ${path} does not exist.\n${INSTALL_HINT}`);
  }
  return { requested: asked, icdFiles: path };
}

export const INSTALL_HINT = [
  'To run on a machine without a GPU, install a software Vulkan driver (Debian bookworm, as root):',
  "  lavapipe (recommended):  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list",
  '                           apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1',
  '  or SwiftShader:          apt-get install -y chromium libvulkan1   and set AEVB_VULKAN_ICD=swiftshader',
  'Choose a driver with AEVB_VULKAN_ICD=auto|system|lavapipe|swiftshader|/path/to/icd.json.',
].join('\n');
