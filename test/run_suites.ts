// Runs the suites of a tier of test/suites.ts with uvu, all in this one process as uvu's own CLI does (each
// suite's `before` acquires its device and its `after` destroys it), or each file in a process of its own.
//
//   node --import tsx test/run_suites.ts [TIER] [--without NEED,…] [--each] [--list] [--bail]
//
//   TIER          all (default: every suite but the browser's), fast, numerics, browser or page
//   --without     leave out the suites that need any of these (gpu, redis, processes, mnist, http, browser)
//   --each        one `node` per suite file, one after the other: no suite leans on another's leftovers
//   --list        print the chosen files and exit
//   --bail        stop at the first failure
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SUITES, suitesOf, TIERS, type Need, type Tier } from './suites.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    without: { type: 'string' },
    each: { type: 'boolean' },
    list: { type: 'boolean' },
    bail: { type: 'boolean' },
  },
});
const tier = (positionals[0] ?? 'all') as Tier;
if (positionals.length > 1 || !(tier in TIERS)) {
  console.error(`run_suites: the tier must be one of ${Object.keys(TIERS).join(', ')}, got ${positionals.join(' ')}`);
  process.exit(2);
}
const NEEDS: readonly Need[] = ['gpu', 'redis', 'processes', 'mnist', 'http', 'browser'];
const without = (values.without ?? '').split(',').filter((n) => n !== '') as Need[];
for (const need of without) {
  if (!NEEDS.includes(need)) {
    console.error(`run_suites: --without takes ${NEEDS.join(', ')}, got '${need}'`);
    process.exit(2);
  }
}
const chosen = suitesOf(tier).filter((path) => !SUITES[path].needs.some((n) => without.includes(n)));

if (values.list) {
  console.log(chosen.join('\n'));
} else if (values.each) {
  // Each file on its own, as `node --import tsx test/x.test.ts` runs it: the process's exit status is the suite's.
  const failed: string[] = [];
  for (const path of chosen) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', `${root}${path}`], { stdio: 'inherit' });
    if (result.status !== 0) {
      failed.push(path);
      if (values.bail) break;
    }
  }
  console.log(
    `\n${chosen.length - failed.length} of ${chosen.length} suite files passed${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`,
  );
  process.exitCode = failed.length > 0 ? 1 : 0;
} else {
  // uvu's CLI colours its report unless told otherwise; the same here.
  process.env.FORCE_COLOR ??= '1';
  const { run } = await import('uvu/run');
  await run(
    chosen.map((path) => ({ name: path, file: `${root}${path}` })),
    { bail: values.bail ?? false },
  );
}
