/**
 * Runs the PyTorch peer (../shared/peers/torch_vae.py: the same VAE, data and protocol on the CPU) fairly:
 * Debian's /usr/bin/python3 (which sees python3-torch), OpenMP threads told not to spin against OpenBLAS's,
 * and a report of which BLAS torch really got (the reference BLAS is ~15× slower than OpenBLAS).
 * Used by bench/peer_speed.ts and bench/mnist_vs_peer.ts; not a benchmark by itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mnistDirectory } from '../src/data/mnist.node.ts';

export const PEER_SCRIPT = fileURLToPath(new URL('../../shared/peers/torch_vae.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

/** Why the peer cannot run here, or null when it can. */
export function peerUnavailable(): string | null {
  if (!existsSync(PEER_SCRIPT)) return `the peer script is not at ${PEER_SCRIPT}`;
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return 'torch is missing: apt-get install -y python3-torch libopenblas0-pthread';
  }
  return null;
}

/** Which libblas.so.3 the Debian alternatives system hands torch, e.g. ".../openblas-pthread/libblas.so.3". */
export function peerBlas(): string {
  try {
    const query = execFileSync('update-alternatives', ['--query', 'libblas.so.3-x86_64-linux-gnu'], {
      encoding: 'utf8',
    });
    const value = /^Value: (.*)$/m.exec(query)?.[1] ?? 'unknown';
    const kind = value.includes('openblas')
      ? 'OpenBLAS'
      : value.includes('blas/libblas')
        ? 'the reference BLAS (slow: install libopenblas0-pthread)'
        : 'unknown';
    return `${kind} (${value})`;
  } catch {
    return 'unknown (update-alternatives failed)';
  }
}

export interface PeerRecord {
  samples: number;
  test_elbo?: number;
  train_sps?: number;
  test_log_px_is?: number;
}

/** Runs the peer with `args` (on top of the data folder and 2 threads) and returns its JSON lines. */
export function runPeer(args: string[], onRecord?: (r: PeerRecord) => void): Promise<PeerRecord[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PEER_SCRIPT, '--data', mnistDirectory(), '--threads', '2', ...args], {
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const records: PeerRecord[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines.filter((l) => l.startsWith('{'))) {
        const record = JSON.parse(line) as PeerRecord;
        records.push(record);
        onRecord?.(record);
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(records) : reject(new Error(`the peer exited with status ${code}`)),
    );
  });
}
