// Runs the kernel test files of test/ — the same uvu suites Node runs, against the same float64 references —
// in this page, on navigator.gpu, with the shaders bundled by Vite. The result lands in window.__kernelTests
// for the browser test (test/browser/demo.browser.ts) and in the page for people.
import { shaders } from './shaders.ts';

/**
 * The GPU kernel suites that need nothing but a device (no files, no child processes), as one literal pattern
 * (a glob must be static text), so the bundle holds only these files.
 */
const modules = import.meta.glob(
  '../test/{matmul,activation,column_sum,gaussian_head,philox_normal,reparameterize,kl_divergence,mc_kl,bernoulli_likelihood,gaussian_likelihood,gaussian_mlp_likelihood,decoder_sample,elbo_mean,importance_weight,iwae_weights,scale_rows,sgd_update,adagrad_update,adam_update,sgvb_step}.test.ts',
);
const SUITES = Object.keys(modules).map((path) => path.replace(/^.*\/(\w+)\.test\.ts$/, '$1'));

// uvu binds console.log when it is first evaluated, so the capture goes in before uvu is imported.
const out: string[] = [];
const log = console.log;
console.log = (...args: unknown[]) => {
  out.push(args.map(String).join(' '));
  log(...args);
};
// As uvu's own CLI does: defer running, then queue one group per file, and run them all with exec().
const g = globalThis as unknown as { aevbTestShaders: unknown; UVU_DEFER: number; UVU_QUEUE: unknown[][]; UVU_INDEX: number };
g.aevbTestShaders = shaders;
g.UVU_DEFER = 1;
g.UVU_QUEUE = [];
const { exec } = await import('uvu');
for (const [i, name] of SUITES.entries()) {
  g.UVU_INDEX = i;
  g.UVU_QUEUE.push([name]);
  await modules[`../test/${name}.test.ts`]();
}
await exec();
console.log = log;
const text = out.join('').replace(/\u001b\[[0-9;]*m/g, '');
const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
(window as unknown as { __kernelTests: object }).__kernelTests = { total, passed, suites: SUITES.length, text };
document.getElementById('out')!.textContent = text;
