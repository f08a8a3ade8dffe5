// Node-only: the optional peer dependencies of aevb that only some Node features load (ioredis for Redis,
// @resvg/resvg-js for PNG charts), so that an install that never uses them — every browser-only one — carries
// neither. Loaded on first use, synchronously (both are CommonJS packages), never when the library is imported.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Thrown when a feature's optional peer dependency is not installed: names the feature and the install command. */
export class MissingPeerError extends Error {
  constructor(
    readonly packageName: string,
    feature: string,
    cause?: unknown,
  ) {
    super(
      `aevb: ${feature} needs the npm package '${packageName}', an optional peer dependency of aevb that is not ` +
        `installed: run \`npm install ${packageName}\``,
      { cause },
    );
    this.name = 'MissingPeerError';
  }
}

/** The package `name`, or a MissingPeerError naming `feature` when it is not installed. */
export function optionalPeer<T>(name: string, feature: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${name}'`)) throw new MissingPeerError(name, feature, e);
    throw error;
  }
}
