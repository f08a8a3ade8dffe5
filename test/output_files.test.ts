// The files a run writes into its output folder besides checkpoints (src/io/output_files.node.ts) and its metrics
// log (src/io/metrics_log.node.ts): nothing is written through a symbolic link planted in the folder, a torn last
// line of the log (a kill, a full disk) is skipped or cut off with a warning naming the file while any other bad
// line is an error naming the file and the line, and a write that fails names its path, leaves no temporary file
// and, for an auxiliary output, is a warning instead of the run's end. A real full disk is a 64 KiB tmpfs when this
// process may mount one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auxiliaryWrite, OutputFileError, ownSubfolder, writeFileAtomic } from '../src/io/output_files.node.ts';
import { MetricsLog, parseMetricsLog, readMetricsLog } from '../src/io/metrics_log.node.ts';
import { writePng } from '../src/io/png.node.ts';

const VICTIM_TEXT = 'root:x:0:0:root:/root:/bin/bash\n';

/** A folder holding `victim` and an output folder `out` inside it. */
function folders(): { root: string; out: string; victim: string } {
  const root = mkdtempSync(join(tmpdir(), 'aevb-out-files-'));
  const out = join(root, 'out');
  mkdirSync(out);
  const victim = join(root, 'victim');
  writeFileSync(victim, VICTIM_TEXT);
  return { root, out, victim };
}

function throwsWith(f: () => unknown, parts: string[]): Error {
  try {
    f();
  } catch (error) {
    for (const part of parts)
      assert.ok((error as Error).message.includes(part), `'${part}' missing from: ${(error as Error).message}`);
    return error as Error;
  }
  throw new Error(`expected a throw mentioning ${parts.join(', ')}`);
}

const temporaries = (dir: string) => readdirSync(dir).filter((n) => n.includes('.tmp-'));

test('a torn last line of metrics.jsonl is skipped with a warning naming the file; a bad line before it is an error naming file and line', () => {
  const whole = '{"type":"start"}\n{"type":"train","step":1,"samples":10,"elbo":-5}\n';
  const warnings: string[] = [];
  assert.equal(parseMetricsLog(whole, 'out/metrics.jsonl', (m) => warnings.push(m)).length, 2);
  const torn = `${whole}{"type":"train","step":2,"sam`;
  const records = parseMetricsLog(torn, 'out/metrics.jsonl', (m) => warnings.push(m));
  assert.equal(
    records.map((r) => r.type),
    ['start', 'train'],
  );
  assert.is(warnings.length, 1);
  assert.match(warnings[0], /^out\/metrics\.jsonl, line 3: the last line is torn \(\d+ bytes with no end of line/);
  // A last record that lost only its end of line is whole: kept.
  assert.is(parseMetricsLog(`${whole}{"type":"done","step":3}`, 'm', () => assert.unreachable('no warning')).length, 3);
  throwsWith(
    () => parseMetricsLog(`{"type":"start"}\n{"type":"tr\n{"type":"done"}\n`, 'out/metrics.jsonl'),
    ['out/metrics.jsonl, line 2: not a JSON record', 'remove or repair that line'],
  );
  throwsWith(
    () => parseMetricsLog('{"type":"start"}\n[1,2]\n', 'm'),
    ['m, line 2', 'expected an object with a "type"'],
  );
});

test('MetricsLog: a torn tail is cut off before appending (the log stays readable), with a warning naming the file', () => {
  const { root, out } = folders();
  try {
    const path = join(out, 'metrics.jsonl');
    const first = new MetricsLog(path);
    for (let step = 1; step <= 3; step++) first.append({ type: 'train', step, samples: step * 10, elbo: -step });
    first.close();
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length - 20)); // cut 20 bytes off, as a kill or a full disk would
    const warnings: string[] = [];
    const again = new MetricsLog(path, (m) => warnings.push(m));
    again.append({ type: 'done', step: 3 });
    again.close();
    assert.is(warnings.length, 1);
    assert.match(warnings[0], `${path}, line 3: the last line is torn`);
    assert.match(warnings[0], 'cut off before appending');
    assert.equal(
      readMetricsLog(path, () => assert.unreachable('no torn line is left')).map((r) => r.step),
      [1, 2, 3],
    );
    // A damaged line before the last stops the run before it trains: an error naming file and line.
    writeFileSync(path, '{"type":"start"}\nnot json\n{"type":"done"}\n');
    throwsWith(() => new MetricsLog(path), [`${path}, line 2: not a JSON record`]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('nothing is written through a symbolic link in the output folder: config.json and the PNGs are replaced, metrics.jsonl is refused', () => {
  const { root, out, victim } = folders();
  try {
    const config = join(out, 'config.json');
    symlinkSync('../victim', config);
    writeFileAtomic(config, '{"latent": 2}\n');
    assert.ok(lstatSync(config).isFile(), 'the link itself was replaced by a regular file');
    assert.is(readFileSync(config, 'utf8'), '{"latent": 2}\n');
    assert.is(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    // A link planted where the temporary file will be is removed, never written through.
    const png = join(out, 'samples.png');
    symlinkSync('../victim', `${png}.tmp-${process.pid}`);
    writePng(png, { width: 2, height: 1, pixels: Uint8Array.of(0, 255) });
    assert.is(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    assert.equal(temporaries(out), []);

    const metrics = join(out, 'metrics.jsonl');
    symlinkSync('../victim', metrics);
    throwsWith(() => new MetricsLog(metrics), [metrics, 'ELOOP', 'symbolic link']);
    throwsWith(() => readMetricsLog(metrics), [metrics, 'ELOOP']);
    assert.is(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    rmSync(metrics);
    fs.linkSync(victim, metrics); // a hard link to a file elsewhere: not the log's own
    throwsWith(() => new MetricsLog(metrics), [metrics, '2 hard links']);
    assert.is(readFileSync(victim, 'utf8'), VICTIM_TEXT);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder aevb keeps inside --out (best/) is never reached through a link: made if missing, a planted link refused', () => {
  const { root, out } = folders();
  try {
    assert.is(ownSubfolder(out, 'best'), join(out, 'best'));
    assert.ok(lstatSync(join(out, 'best')).isDirectory(), 'made');
    assert.is(ownSubfolder(out, 'best'), join(out, 'best'), 'an existing folder is fine');
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync('../elsewhere', join(out, 'planted'));
    const error = throwsWith(
      () => ownSubfolder(out, 'planted'),
      [join(out, 'planted'), 'is a symbolic link', 'never writes or reads through a link'],
    );
    assert.instance(error, OutputFileError);
    throwsWith(() => ownSubfolder(out, 'planted', { create: false }), ['is a symbolic link']);
    symlinkSync('../nowhere', join(out, 'dangling'));
    throwsWith(() => ownSubfolder(out, 'dangling'), ['is a symbolic link']);
    assert.not.ok(fs.existsSync(join(root, 'nowhere')), 'a dangling link is not followed by mkdir');
    assert.equal(readdirSync(elsewhere), []);
    assert.is(
      ownSubfolder(out, 'absent', { create: false }),
      join(out, 'absent'),
      'reading: a missing folder is no error',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a failed auxiliary write names its path and leaves no temporary file; auxiliaryWrite makes it a warning and lets other errors through', async () => {
  const { root, out } = folders();
  try {
    const curves = join(out, 'curves.png');
    mkdirSync(curves); // a directory in the way: the rename fails
    const error = throwsWith(() => writeFileAtomic(curves, new Uint8Array(10)), [curves, 'renaming', 'EISDIR']);
    assert.ok(error instanceof OutputFileError);
    assert.equal(temporaries(out), []);
    const warnings: string[] = [];
    assert.is(
      await auxiliaryWrite(
        () => writeFileAtomic(curves, new Uint8Array(10)),
        (m) => warnings.push(m),
      ),
      null,
    );
    assert.match(warnings[0], `${curves}: cannot write the file`);
    assert.match(warnings[0], 'the run goes on without it');
    try {
      await auxiliaryWrite(
        () => {
          throw new Error('device lost');
        },
        () => assert.unreachable('not a file error'),
      );
      assert.unreachable("an error that is not the file's goes on");
    } catch (e) {
      assert.is((e as Error).message, 'device lost');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a real full disk (a 64 KiB tmpfs): a failed append is cut back and warned about, a failed PNG names its path and leaves nothing', () => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'aevb-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'pipe' });
  } catch (error) {
    console.log(
      `  skipped the tmpfs disk-full check: cannot mount a tmpfs here (${String((error as Error).message).split('\n')[0]})`,
    );
    rmSync(mountPoint, { recursive: true, force: true });
    return;
  }
  try {
    const path = join(mountPoint, 'metrics.jsonl');
    const warnings: string[] = [];
    const log = new MetricsLog(path, (m) => warnings.push(m));
    log.append({ type: 'train', step: 1 });
    const filler = join(mountPoint, 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      for (;;) fs.writeSync(fd, new Uint8Array(1024));
    } catch {
      // ENOSPC: the disk is full now (the log's first page still has room for part of a big record).
    } finally {
      fs.closeSync(fd);
    }
    log.append({ type: 'train', step: 2, padding: 'x'.repeat(8000) });
    log.append({ type: 'train', step: 3, padding: 'x'.repeat(8000) });
    assert.is(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], `${path}: cannot append to the metrics log (ENOSPC: the disk is full)`);
    assert.equal(
      readMetricsLog(path, () => assert.unreachable('no torn line')).map((r) => r.step),
      [1],
    );
    throwsWith(
      () =>
        writePng(join(mountPoint, 'curves.png'), {
          width: 200,
          height: 200,
          pixels: Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7919) % 256),
        }),
      [join(mountPoint, 'curves.png'), 'ENOSPC'],
    );
    assert.equal(temporaries(mountPoint), []);
    fs.unlinkSync(filler);
    log.append({ type: 'done', step: 4 });
    log.close();
    assert.match(warnings[1], 'appending works again; 2 records were lost');
    assert.equal(
      readMetricsLog(path).map((r) => r.step),
      [1, 4],
    );
  } finally {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});

test.run();
