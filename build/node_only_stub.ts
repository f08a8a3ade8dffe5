// A Vite plugin for aevb's browser builds: every import of a Node-only module (src/**/*.node.ts) becomes a
// module that throws, saying which file and what to do. Only src/gpu/device.ts imports them, lazily and only in
// Node, so a page never evaluates one; Node evaluates one only when the browser build was loaded there (a
// bundler targeting Node with the 'browser' condition, a test runner with a DOM environment), where Dawn and
// the shader files on disk cannot be reached.
import type { Plugin } from 'vite';

const PREFIX = '\0aevb-node-only:';

export function nodeOnlyStub(): Plugin {
  return {
    name: 'aevb-node-only-stub',
    enforce: 'pre',
    resolveId: (source, importer) =>
      importer !== undefined && source.endsWith('.node.ts') ? `${PREFIX}${source.replace(/^.*\//, '')}` : undefined,
    load: (id) =>
      id.startsWith(PREFIX)
        ? `throw new Error(${JSON.stringify(
            `aevb: ${id.slice(PREFIX.length)} is Node-only, and this is aevb's browser build (dist/aevb.browser.js) ` +
              `loaded outside a browser. In Node, let 'aevb' resolve with the 'node' export condition ` +
              `(Node itself does; a bundler targeting Node: platform 'node' or conditions ['node']), which ` +
              `reaches Dawn (npm 'webgpu') and the shader files.`,
          )});\n`
        : undefined,
  };
}
