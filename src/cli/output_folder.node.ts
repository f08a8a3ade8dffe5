// Node-only: whether `aevb train --out DIR` may write into DIR, and what --overwrite removes there.
//
// A fresh run into a folder that holds another run is refused, with the three ways on: --resume DIR to continue
// that run, another --out, or --overwrite to replace it. Before, the two runs merged silently: the old model
// became the new run's checkpoint.prev (the fallback a reader takes), metrics.jsonl held both runs, curves.png
// plotted the old test curve under the new title and the old pictures stayed. Refusing is what users of Keras
// and Lightning are spared having to think about: Lightning's logger gives each run a fresh version_N folder,
// and Keras writes where it is told; here `--out` names the folder that `--resume` and every reader use, so a
// versioned folder under it would move the checkpoint from where people look, and overwriting by default would
// lose a run's model to a mistyped command. A refusal loses nothing and says how to go on.
//
// --overwrite removes only the files aevb train writes (named below), never anything else in the folder.
import { existsSync, lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE, readCheckpoint } from '../io/checkpoint.node.ts';
import { CURVES_FILE, METRICS_FILE } from './train_report.node.ts';
import { PICTURE_FILES } from './pictures.node.ts';

/** The run's settings as `aevb train --config` reads them back (train_run.node.ts writes it). */
export const CONFIG_FILE = 'config.json';
/** The folder under --out where early stopping keeps the best model. */
export const BEST_FOLDER = 'best';

const CHECKPOINT_FILES = [CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE];
/** Every file of a run that aevb train writes at the top of --out. */
const RUN_FILES = [...CHECKPOINT_FILES, METRICS_FILE, CURVES_FILE, CONFIG_FILE, ...PICTURE_FILES];

/** A run found in a folder: when it last wrote there, and the step of its checkpoint (null: it has none yet). */
export interface FoundRun {
  lastWritten: Date;
  step: number | null;
}

/**
 * The run whose files are in `dir`, or null when it holds none (absent, empty, or only other files). A run is
 * a checkpoint or a metrics log that is a regular file: a link of that name is not aevb's (it never writes one),
 * and the writers refuse it with their own message.
 */
export function runIn(dir: string): FoundRun | null {
  const present = [...CHECKPOINT_FILES, METRICS_FILE]
    .map((name) => statOf(join(dir, name)))
    .filter((s) => s !== null && s.isFile());
  if (present.length === 0) return null;
  const lastWritten = new Date(Math.max(...present.map((s) => s!.mtimeMs)));
  let step: number | null = null;
  if (CHECKPOINT_FILES.some((name) => existsSync(join(dir, name)))) {
    try {
      step = readCheckpoint(dir).snapshot.step;
    } catch {
      // A damaged checkpoint is still another run's: the refusal stands, without its step.
    }
  }
  return { lastWritten, step };
}

/**
 * Throws when `out` holds a run other than the one being continued (`resume`, when it is the same folder);
 * with `overwrite`, removes that run's files instead. Call it holding the folder's lock, so no live run's
 * files are removed.
 */
export function claimOutputFolder(out: string, options: { resume: string | null; overwrite: boolean }): void {
  const continuing = options.resume !== null && resolve(options.resume) === resolve(out);
  if (continuing) {
    if (options.overwrite)
      throw new Error(
        `--overwrite with --resume ${options.resume}: the run being continued writes there; ` +
          'drop --overwrite to continue it, or give another --out for its continuation',
      );
    return;
  }
  const found = runIn(out);
  if (found === null) return;
  if (options.overwrite) {
    removeRunFiles(out);
    return;
  }
  const when = found.lastWritten.toISOString().replace('T', ' ').slice(0, 16);
  const at = found.step === null ? 'no checkpoint yet' : `step ${found.step}`;
  throw new Error(
    `--out ${out} holds another run (last written ${when} UTC, ${at}): pass --resume ${out} to continue it, ` +
      'another --out for a new run, or --overwrite to replace it (that removes only the files aevb train writes there)',
  );
}

/** Removes the run files aevb train writes in `dir` (and its best/ checkpoints); any other file stays. */
function removeRunFiles(dir: string): void {
  const best = join(dir, BEST_FOLDER);
  for (const path of [...RUN_FILES.map((n) => join(dir, n)), ...CHECKPOINT_FILES.map((n) => join(best, n))]) {
    if (statOf(path) !== null) unlinkSync(path);
  }
  const bestStat = statOf(best);
  if (bestStat !== null && bestStat.isDirectory() && readdirSync(best).length === 0) rmdirSync(best);
}

function statOf(path: string) {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
