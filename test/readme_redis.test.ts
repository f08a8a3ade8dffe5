// The README's "Beyond one machine" commands, run as they are written there (parsed out of README.md, so the test
// fails when the README changes without it): only `npx aevb` becomes this checkout's bin/aevb.js, the README's
// redis://127.0.0.1:6379 a redis-server of the test's own and https://data.example a local HTTP server; the data
// files the commands name are small ones of the same kind, in a fresh folder. A Redis stream read by two
// trainers, one killed for good: the other claims the dead one's entries (claim-after) before end-after-idle ends
// its pass, trains them, and leaves nothing of them pending (issue 21, item 5: with the README's former
// end-after-idle=10000 and the default claim-after of 60 s, 3 200 rows stayed pending). Then the resume line, the
// sharded HTTP line, and the two --peers trainers, which end with the same bits (the final round).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { startFlakyHttpServer, type FlakyHttpServer } from './servers/flaky_http_server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/aevb.js');
const D = 784;

/** The `npx aevb …` lines of the README's section `heading`, block by block, as argument lists (a shell's quoting; `#` starts a comment). */
function readmeCommands(heading: string): string[][][] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README.md has a section '## ${heading}'`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((block) =>
      block[1]
        .split('\n')
        .filter((l) => l.startsWith('npx aevb '))
        .map((line) => {
          const words: string[] = [];
          for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(#.*$)|(\S+)/g)) {
            if (m[3] !== undefined) break;
            words.push(m[1] ?? m[2] ?? m[4]);
          }
          return words.slice(2); // without `npx aevb`
        }),
    )
    .filter((block) => block.length > 0);
}

let server: RedisServer | null = null;
let http: FlakyHttpServer;
const cwd = mkdtempSync(join(tmpdir(), 'aevb-readme-'));

/** A README command's arguments with the README's servers replaced by the test's. */
const local = (args: string[]) =>
  args.map((a) => a.replaceAll('redis://127.0.0.1:6379', server!.url).replaceAll('https://data.example', http.url));

interface Run {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(): void;
}

function aevb(args: string[]): Run {
  const child = spawn(process.execPath, [bin, ...local(args)], { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return {
    done: new Promise((resolve) =>
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      }),
    ),
    kill: () => child.kill('SIGKILL'),
  };
}

/** `rows` MNIST-shaped rows of bytes, seeded. */
const imageBytes = (seed: number, rows: number) =>
  Uint8Array.from(seededUniform(seed, rows * D), (v) => Math.floor(v * 256));

test.before(async () => {
  if (redisServerInstalled('readme_redis')) server = await startRedisServer();
  http = await startFlakyHttpServer();
});
test.after(async () => {
  await server?.stop();
  await http?.close();
});

test("the README's Redis stream commands: two trainers, one killed for good; the other trains its entries before its pass ends", async () => {
  if (server === null) return;
  const blocks = readmeCommands('Beyond one machine');
  const publish = blocks.flat().find((c) => c[0] === 'publish' && c.includes('--to'))!;
  const trainers = blocks
    .flat()
    .filter((c) => c[0] === 'train' && c[c.indexOf('--data') + 1].startsWith('redis://') && c.includes('--out'));
  const resume = blocks.flat().find((c) => c[0] === 'train' && c.includes('--resume'))!;
  assert.is(trainers.length, 2, `two trainers of one group: ${JSON.stringify(trainers)}`);
  assert.ok(publish !== undefined && resume !== undefined);

  // The file the publish line names: 4 000 rows of 28×28 bytes as IDX.
  const ROWS = 4000;
  const idx = new Uint8Array(16 + ROWS * D);
  new DataView(idx.buffer).setUint32(0, 0x0803);
  [ROWS, 28, 28].forEach((n, i) => new DataView(idx.buffer).setUint32(4 + 4 * i, n));
  idx.set(imageBytes(1, ROWS), 16);
  writeFileSync(join(cwd, publish[publish.indexOf('--data') + 1]), idx);
  const published = await aevb(publish).done;
  assert.is(published.code, 0, published.stderr);

  const url = new URL(local(trainers[0])[local(trainers[0]).indexOf('--data') + 1]);
  const [stream, group] = [url.pathname.slice(1), url.searchParams.get('group')!];
  const victim = url.searchParams.get('consumer') === 'gpu-1' ? 1 : 0;
  const redis = new Redis(server.url);
  const pendingOf = async () => {
    const reply = await redis.xpending(stream, group).catch((error: Error) => {
      if (/NOGROUP/.test(error.message)) return [0, null, null, null]; // no trainer has made the group yet
      throw error;
    });
    const [, , , consumers] = reply as [number, string, string, [string, string][] | null];
    return new Map((consumers ?? []).map(([name, count]) => [name, Number(count)]));
  };
  try {
    // The one to die starts first and takes entries; the other starts; the first is killed with SIGKILL.
    const dying = aevb(trainers[victim]);
    const dyingName = new URL(local(trainers[victim])[trainers[victim].indexOf('--data') + 1]).searchParams.get(
      'consumer',
    )!;
    for (let i = 0; (await pendingOf()).get(dyingName) === undefined; i++) {
      assert.ok(i < 1200, `${dyingName} never took an entry`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const survivor = aevb(trainers[1 - victim]);
    await new Promise((r) => setTimeout(r, 2000));
    dying.kill();
    const died = await dying.done;
    assert.is(died.signal, 'SIGKILL');
    const heldByTheDead = (await pendingOf()).get(dyingName) ?? 0;
    assert.ok(heldByTheDead > 0, 'the dead trainer left entries pending');
    const run = await survivor.done;
    assert.is(run.code, 0, run.stderr);
    const pending = await pendingOf();
    assert.is(
      pending.get(dyingName),
      undefined,
      `the dead trainer's ${heldByTheDead} entries were claimed and acknowledged: ${JSON.stringify([...pending])}`,
    );
    const out = trainers[1 - victim][trainers[1 - victim].indexOf('--out') + 1];
    const trained = readCheckpoint(join(cwd, out)).run!.acknowledged!.rowsConsumed;
    assert.ok(
      trained >= ROWS - 100,
      `the survivor trained ${trained} of ${ROWS} rows (all but a last partial minibatch)`,
    );
    assert.ok(
      [...pending.values()].reduce((a, b) => a + b, 0) <= 1,
      `at most the entry of a partial minibatch left: ${JSON.stringify([...pending])}`,
    );
  } finally {
    redis.disconnect();
  }
  // The resume line, on the finished run: it says the run is complete and exits 0.
  const resumed = await aevb(resume).done;
  assert.is(resumed.code, 0, resumed.stderr);
});

test("the README's sharded HTTP(S) command, against a local server: trainer 0 of 4 reads its quarter of the shards", async () => {
  const line = readmeCommands('Beyond one machine')
    .flat()
    .find((c) => c.includes('--shard-of'))!;
  const pattern = line[line.indexOf('--data') + 1];
  assert.match(pattern, /^https:\/\/data\.example\/mnist\/shard-\{000\.\.099\}\.npy$/);
  for (let i = 0; i < 100; i++)
    http.put(`/mnist/shard-${String(i).padStart(3, '0')}.npy`, npyBytes('|u1', [10, D], imageBytes(100 + i, 10)));
  const run = await aevb(line).done;
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /epoch 1: 200 samples/, '25 shards of 10 rows: 2 minibatches of 100');
});

test("the README's two --peers trainers end with the same bits, and say that their last checkpoints are the run's result", async () => {
  if (server === null) return;
  const lines = readmeCommands('Beyond one machine')
    .flat()
    .filter((c) => c.includes('--peers') && !c.some((a) => a.includes('$')));
  assert.is(lines.length, 2);
  lines.forEach((c, r) =>
    writeFileSync(
      join(cwd, c[c.indexOf('--data') + 1]),
      npyBytes('|u1', [1000 + 200 * r, D], imageBytes(200 + r, 1000 + 200 * r)),
    ),
  );
  const runs = await Promise.all(lines.map((c) => aevb(c).done));
  for (const r of runs) {
    assert.is(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /peers: final round of run-1: the average of ranks 0, 1 \(finished at steps 10, 12\) is the run's result, the same bits on every rank; this run's last checkpoint holds it/,
    );
  }
  const tensors = lines.map((c) =>
    readCheckpoint(join(cwd, c[c.indexOf('--out') + 1])).snapshot.tensors.filter(
      (t) => !t.name.startsWith('optimizer.'),
    ),
  );
  for (let i = 0; i < tensors[0].length; i++)
    assert.ok(
      Buffer.from(tensors[0][i].data.buffer).equals(Buffer.from(tensors[1][i].data.buffer)),
      tensors[0][i].name,
    );
});

test.run();
