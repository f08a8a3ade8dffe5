// `aevb publish` states a count of published rows only once it has published them: a publish that fails (here,
// Redis refuses the connection) leaves no "published 0 rows" line before its error (issue 23, item 9).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAevb } from './cli_process.ts';

test('a publish that cannot reach Redis prints its error and no count of published rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-publish-'));
  try {
    const file = join(dir, 'rows.f32');
    writeFileSync(file, new Uint8Array(new Float32Array(4 * 16).fill(0.5).buffer));
    // Port 1 refuses at once; reconnect-for=0 gives up without retrying.
    const to = 'redis://127.0.0.1:1/rows?reconnect-for=0';
    const failed = await runAevb(['publish', '--data', file, '--format', 'raw-f32', '--dim', '16', '--to', to], 30_000);
    assert.is.not(failed.code, 0, 'the publish fails');
    assert.match(failed.stderr, 'ECONNREFUSED');
    const output = failed.stdout + failed.stderr;
    assert.not.match(output, /published/, `no count is printed before the failure:\n${output}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
