// Node-only: `aevb encode` — the latents of a checkpoint's encoder for every row of a data file, streamed into
// a float32 .npy: (N, 2Z) = [μ | log σ²] per row, or (N, Z) sampled z with --sample; labels, when the data has
// them, copied into <out stem>.labels.npy in the same order. Both files appear only once complete (written
// under temporary names and renamed), and the labels only when their count matches the rows.
import { basename, dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { integer } from './flag_parsers.node.ts';
import { modelFromCheckpoint } from './checkpoint_trainer.node.ts';
import { sourceFor } from './data_setup.node.ts';
import { mnistDirectory, mnistFile } from '../data/mnist.node.ts';
import { labelBytes, readLabelsHeader, type LabelsFile } from '../data/labels_file.node.ts';
import { DATA_FORMATS, type DataFormat } from '../data/row_format.ts';
import { encodeSource, DEFAULT_ENCODE_CHUNK } from '../eval/encode_source.ts';
import { NpyFileWriter } from '../io/npy_writer.node.ts';
import type { RowSource } from '../data/row_source.ts';
import type { Vae } from '../vae/vae.ts';
import { StopSignals } from './stop_signals.node.ts';

const MNIST_LABELS = { train: 'train-labels-idx1-ubyte', test: 't10k-labels-idx1-ubyte' } as const;

/** Where the labels of `out` go: latents.npy → latents.labels.npy. */
export function labelsPathFor(out: string): string {
  return join(dirname(out), `${basename(out).replace(/\.npy$/, '')}.labels.npy`);
}

export function encodeCommand(): Command {
  return new Command('encode')
    .description(
      'Write the posterior q(z|x) of every data row as a float32 .npy: [μ | log σ²] per row, or a sampled z.',
    )
    .requiredOption('--checkpoint <dir>', 'the run folder holding checkpoint.safetensors')
    .requiredOption('--out <file>', 'the .npy to write: (N, 2Z) [μ | log σ²], or (N, Z) with --sample')
    .option(
      '--data <path>',
      'rows to encode: a file (IDX, .npy, raw; .gz), a shard directory or synthetic:ROWSxD (default: the bundled MNIST, with its labels)',
    )
    .addOption(
      new Option(
        '--split <split>',
        'which bundled MNIST images to encode when --data is not given (default: test)',
      ).choices(['train', 'test']),
    )
    .addOption(
      new Option('--format <format>', "the data's format (auto: from its name)").choices(DATA_FORMATS).default('auto'),
    )
    .option('--dim <D>', "values per row of raw data (default: the model's D)", integer('--dim', 1))
    .option(
      '--labels <file>',
      'labels of the rows, one per row (a 1-D IDX or .npy, optionally .gz): copied into <out stem>.labels.npy',
    )
    .option('--sample', 'write z = μ + σ ⊙ ε, one draw per row, instead of [μ | log σ²]')
    .option('--seed <n>', "seed of ε with --sample (default: the checkpoint's seed)", integer('--seed', 0))
    .option('--chunk <rows>', 'rows per GPU pass (memory holds one chunk)', integer('--chunk', 1), DEFAULT_ENCODE_CHUNK)
    .option('--vulkan-driver <name>', 'auto | system | lavapipe | swiftshader | path to an ICD json')
    .action(async (o) => {
      if (o.data !== undefined && o.split !== undefined)
        throw new Error('--split chooses the bundled MNIST images: give it without --data');
      if (o.seed !== undefined && o.sample !== true)
        throw new Error('--seed seeds the ε of --sample: give it with --sample');
      const split: 'train' | 'test' = o.split ?? 'test';
      // Without --data the bundled MNIST's labels come along, unless --labels names others.
      const dataPath: string = o.data ?? mnistFile(split);
      const labelsPath: string | null =
        o.labels ?? (o.data === undefined ? join(mnistDirectory(), MNIST_LABELS[split]) : null);
      // The labels' header first: a wrong file is refused before anything is encoded.
      const labels = labelsPath === null ? null : await readLabelsHeader(labelsPath);
      const { model, checkpoint } = await modelFromCheckpoint(o.checkpoint, o.vulkanDriver);
      try {
        const { D, latent: Z } = checkpoint.snapshot.config;
        const source = sourceFor(dataPath, {
          format: o.format as DataFormat,
          dim: o.dim ?? D,
          seed: checkpoint.snapshot.config.seed,
        });
        // Ctrl-C and SIGTERM stop after the chunk on the GPU: the temporary files are removed, the exit code says so.
        const stop = new StopSignals();
        const started = performance.now();
        let rows: number;
        try {
          rows = await writeLatents(model, source, o.out, {
            sample: o.sample === true,
            seed: o.seed,
            chunk: o.chunk,
            labels,
            dataName: dataPath,
            signal: stop.signal,
          });
        } finally {
          stop.release();
        }
        if (stop.received !== null) {
          console.error(`aevb: interrupted after ${rows} rows; nothing was written to ${o.out}`);
          process.exitCode = stop.exitCode;
          return;
        }
        const seconds = (performance.now() - started) / 1000;
        const what = o.sample
          ? `z (Z = ${Z}, seed ${o.seed ?? checkpoint.snapshot.config.seed})`
          : `[μ | log σ²] (Z = ${Z})`;
        const bundled = o.data === undefined ? `the bundled MNIST ${split}` : null;
        console.log(
          `wrote ${o.out}: ${rows} rows × ${o.sample ? Z : 2 * Z} float32, ${what}, from ` +
            `${bundled ? `${bundled} images` : dataPath} (${(rows / seconds).toFixed(0)} rows/s)`,
        );
        if (labels !== null)
          console.log(
            `wrote ${labelsPathFor(o.out)}: ${rows} labels ('${labels.descr}') from ${bundled && o.labels === undefined ? `${bundled} labels` : labels.path}`,
          );
      } finally {
        model.destroy();
      }
    });
}

/**
 * Streams the latents of `source` into `out` and, with `labels`, copies them beside it; refuses a labels count
 * that differs from the rows, naming both files (as soon as the rows outnumber the labels). Returns the rows;
 * when `signal` aborts, stops after the current chunk, writes nothing and returns the rows encoded so far.
 */
async function writeLatents(
  model: Vae,
  source: RowSource,
  out: string,
  o: {
    sample: boolean;
    seed: number | undefined;
    chunk: number;
    labels: LabelsFile | null;
    dataName: string;
    signal: AbortSignal;
  },
): Promise<number> {
  const Z = model.architecture.Z;
  const latents = new NpyFileWriter(out, '<f4', [o.sample ? Z : 2 * Z]);
  let labelsOut: NpyFileWriter | null = null;
  const mismatch = (rows: string) =>
    new Error(
      `${o.labels!.path}: holds ${o.labels!.count} labels, but ${o.dataName} has ${rows} rows: give the labels of exactly these rows, in their order`,
    );
  try {
    for await (const block of encodeSource(model, source, { chunk: o.chunk, sample: o.sample, seed: o.seed })) {
      if (o.labels !== null && block.first + block.rows > o.labels.count) throw mismatch(`more than ${o.labels.count}`);
      latents.appendFloat32(block.z ?? interleave(block.mu, block.logVar, block.rows, Z));
      if (o.signal.aborted) {
        latents.abort();
        return latents.rows;
      }
    }
    if (o.labels !== null) {
      if (latents.rows !== o.labels.count) throw mismatch(String(latents.rows));
      labelsOut = new NpyFileWriter(labelsPathFor(out), o.labels.descr, []);
      for await (const bytes of labelBytes(o.labels)) labelsOut.append(bytes);
    }
    const rows = latents.rows;
    // The latents first: labels beside no latents would be worse than latents without their labels.
    latents.finish();
    labelsOut?.finish();
    return rows;
  } catch (error) {
    latents.abort();
    labelsOut?.abort();
    throw error;
  }
}

/** Rows of [μ | log σ²]: (rows, 2Z) from μ (rows, Z) and log σ² (rows, Z). */
function interleave(mu: Float32Array, logVar: Float32Array, rows: number, Z: number): Float32Array {
  const out = new Float32Array(rows * 2 * Z);
  for (let r = 0; r < rows; r++) {
    out.set(mu.subarray(r * Z, (r + 1) * Z), r * 2 * Z);
    out.set(logVar.subarray(r * Z, (r + 1) * Z), r * 2 * Z + Z);
  }
  return out;
}
