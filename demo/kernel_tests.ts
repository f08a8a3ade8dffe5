// Runs the kernel test files of test/ — the same uvu suites Node runs, against the same float64 references —
// in this page, on navigator.gpu, with the shaders bundled by Vite. The result lands in window.__kernelTests
// for the browser test (test/browser/demo.browser.ts) and in the page for people.
import { shaders } from './shaders.ts';
// The suites test/suites.ts marks `page` (GPU kernel suites that need nothing but a device), by stem, each loaded
// when its turn comes; a plugin in vite.config.ts makes this module from the manifest.
import { suites } from 'virtual:aevb-page-suites';

const SUITES = Object.keys(suites);

// uvu binds console.log when it is first evaluated, so the capture goes in before uvu is imported.
const out: string[] = [];
const log = console.log;
console.log = (...args: unknown[]) => {
  out.push(args.map(String).join(' '));
  log(...args);
};
// As uvu's own CLI does: defer running, then queue one group per file, and run them all with exec().
const g = globalThis as unknown as {
  aevbTestShaders: unknown;
  UVU_DEFER: number;
  UVU_QUEUE: unknown[][];
  UVU_INDEX: number;
};
g.aevbTestShaders = shaders;
g.UVU_DEFER = 1;
g.UVU_QUEUE = [];
const { exec } = await import('uvu');
for (const [i, name] of SUITES.entries()) {
  g.UVU_INDEX = i;
  g.UVU_QUEUE.push([name]);
  await suites[name]();
}
await exec();
console.log = log;
const text = out.join('').replace(/\u001b\[[0-9;]*m/g, '');
const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
(window as unknown as { __kernelTests: object }).__kernelTests = { total, passed, suites: SUITES.length, text };
document.getElementById('out')!.textContent = text;
