// The optional peer dependencies (src/data/optional_peer.node.ts): a package that is not installed is named with
// the feature that needs it and the command that installs it; any other failure to load passes through as it is.
// (The package itself, with neither installed, is tried by test/consumer/run.sh: a Redis source and aevb train.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MissingPeerError, optionalPeer } from '../src/data/optional_peer.node.ts';

test('a package that is not installed: MissingPeerError with the feature and `npm install <name>`', () => {
  try {
    optionalPeer('aevb-test-absent-package', 'reading tea leaves');
    assert.unreachable('loaded a package that does not exist');
  } catch (error) {
    assert.instance(error, MissingPeerError);
    assert.is(
      (error as Error).message,
      "aevb: reading tea leaves needs the npm package 'aevb-test-absent-package', an optional peer dependency of " +
        'aevb that is not installed: run `npm install aevb-test-absent-package`',
    );
  }
});

test('an installed package loads; one that fails for another reason is not called missing', () => {
  assert.type(optionalPeer<typeof import('ioredis')>('ioredis', 'Redis').Redis, 'function');
  const folder = mkdtempSync(join(tmpdir(), 'aevb-optional-peer-'));
  try {
    // A file path is resolved like a package name; its own missing import is not the package missing.
    const broken = join(folder, 'broken.cjs');
    writeFileSync(broken, "require('aevb-test-absent-inner');\n");
    assert.throws(
      () => optionalPeer(broken, 'a broken package'),
      (e: Error) => !(e instanceof MissingPeerError) && e.message.includes("'aevb-test-absent-inner'"),
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test.run();
