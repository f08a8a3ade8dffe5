// Node-only: `aevb train --peers redis://host:port/RUN?size=N&rank=R&every=H` — the run's rounds that average the
// parameters with the other trainers of RUN (peers/redis_peers.node.ts: Redis is the rendezvous and the blob
// store). Optimizer state stays local; a trainer that starts late or restarts begins from the last average.
import { PeerAveraging, parsePeersUrl } from '../peers/redis_peers.node.ts';
import type { Trainer } from '../train/trainer.ts';
import type { TrainingRunOptions } from '../run/training_run.ts';

export interface PeerRounds {
  /** For trainingRun's `rounds`. */
  rounds: NonNullable<TrainingRunOptions['rounds']>;
  /** Stops the heartbeat and leaves the run. */
  leave(): Promise<void>;
}

/** Joins the run named by `url`; a fresh trainer takes the latest average. `log` receives each round's figures. */
export async function joinPeers(url: string, trainer: Trainer, log: (record: object) => void): Promise<PeerRounds> {
  const settings = parsePeersUrl(url);
  const peers = new PeerAveraging(settings);
  const latest = await peers.join();
  if (latest !== null && trainer.step === 0) {
    trainer.model.write(latest.parameters);
    console.log(`peers: starting from the average of round ${latest.round} of ${settings.run}`);
  }
  return {
    rounds: {
      every: settings.every,
      async run(step) {
        // The members' mean lands in the model's parameters on the GPU (Vae.averageOf).
        const round = await peers.average(step / settings.every, await trainer.model.flatParameters(), (vectors) => trainer.model.averageOf(vectors));
        log({ type: 'averaging', step, round: round.round, members: round.members, seconds: round.seconds, bytes_sent: round.bytesSent, bytes_received: round.bytesReceived });
      },
    },
    leave: () => peers.leave(),
  };
}
