// Node-only: the rounds of a training run (trainingRun's `rounds`, run/hooks/rounds.ts) that average the parameters
// with the other trainers of a run named by redis://host:port/RUN?size=N&rank=R&every=H (`aevb train --peers`;
// redis_peers.node.ts: Redis is the rendezvous and the blob store). Optimizer state stays local. A trainer that
// starts late or restarts — from a checkpoint behind the others, say — takes the latest average before it trains
// and re-joins at the current round; at the run's end the final round makes every rank's result the same bits.
import { parsePeersUrl } from './peers_url.node.ts';
import { PeerAveraging } from './redis_peers.node.ts';
import type { Trainer } from '../train/trainer.ts';
import { firstNonFiniteIndex, NonFiniteError } from '../train/non_finite_error.ts';
import type { Rounds } from '../run/hooks/rounds.ts';

export interface PeerRounds {
  /** For trainingRun's `rounds`. */
  rounds: Rounds;
  /** Stops the heartbeat and leaves the run. */
  leave(): Promise<void>;
}

export interface JoinPeersOptions {
  /** Receives each round's figures (the CLI writes them to metrics.jsonl). */
  log?: (record: object) => void;
  /** Receives a line for people (the CLI prints it). */
  say?: (line: string) => void;
  /** Receives a warning for people: a rank missing from the final round. Default: stderr. */
  warn?: (line: string) => void;
  /**
   * The run's stop (Ctrl-C): a round being waited for closes at once, and a stopped run takes no part in the
   * final round — it leaves, and the others finish without it.
   */
  signal?: AbortSignal;
}

/**
 * Throws a NonFiniteError that blames the peers when an average holds NaN or ±Inf: this trainer's own parameters
 * were finite (its steps are checked), so a peer's were not; the run then stops before a checkpoint can hold it.
 */
function refuseNonFinite(step: number, average: { round: number; members: number[]; parameters: Float32Array }) {
  const at = firstNonFiniteIndex(average.parameters);
  if (at >= 0) throw NonFiniteError.inPeersAverage(step, average.round, average.members, average.parameters[at], at);
}

/**
 * Joins the run named by `url`: the trainer takes the latest average, if a round has closed, and its rounds are
 * numbered on from it. See the file's header.
 */
export async function joinPeers(url: string, trainer: Trainer, o: JoinPeersOptions = {}): Promise<PeerRounds> {
  const settings = parsePeersUrl(url);
  const log = o.log ?? (() => {});
  const say = o.say ?? (() => {});
  const warn = o.warn ?? ((line: string) => console.error(`aevb: ${line}`));
  const peers = new PeerAveraging(settings);
  const where = `${settings.run} (rank ${settings.rank} of ${settings.size})`;
  const { latest, nextRound } = await peers.join();
  let round = nextRound;
  if (latest !== null) {
    try {
      refuseNonFinite(trainer.step, { round: latest.round, members: [], parameters: latest.parameters });
    } catch (error) {
      await peers.leave();
      throw error;
    }
    trainer.model.write(latest.parameters);
    say(
      `peers: ${where} joins at round ${round}, starting from the average of round ${latest.round}` +
        (trainer.step > 0 ? ` in place of the checkpoint's parameters (step ${trainer.step})` : ''),
    );
  }
  const mean = (vectors: Float32Array[]) => trainer.model.averageOf(vectors);
  return {
    rounds: {
      every: settings.every,
      async run(step) {
        // The members' mean lands in the model's parameters on the GPU (Vae.averageOf).
        const r = await peers.average(round++, await trainer.model.flatParameters(), mean, o.signal);
        refuseNonFinite(step, r);
        log({
          type: 'averaging',
          step,
          round: r.round,
          members: r.members,
          seconds: r.seconds,
          bytes_sent: r.bytesSent,
          bytes_received: r.bytesReceived,
        });
      },
      async final(step) {
        if (o.signal?.aborted) return false;
        const r = await peers.finish(round, step, await trainer.model.flatParameters(), mean, {
          signal: o.signal,
          onWait: (ranks) =>
            say(
              `peers: ${where} finished at step ${step}; the final round waits for rank${ranks.length > 1 ? 's' : ''} ${ranks.join(', ')} to finish`,
            ),
        });
        if (r !== null) refuseNonFinite(step, r);
        if (r === null) {
          say(
            `peers: ${where} stopped before the final round closed: its last checkpoint is its own, not the run's result`,
          );
          return false;
        }
        log({
          type: 'averaging',
          final: true,
          step,
          round: r.round,
          members: r.members,
          steps: r.steps,
          absent: r.absent,
          seconds: r.seconds,
          bytes_sent: r.bytesSent,
          bytes_received: r.bytesReceived,
        });
        if (r.absent.length > 0)
          warn(
            `peers: ${where}: rank${r.absent.length > 1 ? 's' : ''} ${r.absent.join(', ')} did not arrive in the final ` +
              `round (stopped, or no heartbeat, or no progress for final-deadline ${settings.finalDeadlineMs} ms): ` +
              `the result is the average of ranks ${r.members.join(', ')} only`,
          );
        say(
          `peers: final round of ${settings.run}: the average of ranks ${r.members.join(', ')} ` +
            `(finished at steps ${r.steps.join(', ')}) is the run's result, ` +
            "the same bits on every rank; this run's last checkpoint holds it",
        );
        return true;
      },
    },
    leave: () => peers.leave(),
  };
}
