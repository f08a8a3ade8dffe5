// Node-only: the rounds of a training run (trainingRun's `rounds`, run/hooks/rounds.ts) that average the parameters
// with the other trainers of a run named by redis://host:port/RUN?size=N&rank=R&every=H (`aevb train --peers`;
// redis_peers.node.ts: Redis is the rendezvous and the blob store). Optimizer state stays local; a trainer that starts late or restarts begins from the last average.
import { PeerAveraging, parsePeersUrl } from './redis_peers.node.ts';
import type { Trainer } from '../train/trainer.ts';
import type { Rounds } from '../run/hooks/rounds.ts';

export interface PeerRounds {
  /** For trainingRun's `rounds`. */
  rounds: Rounds;
  /** Stops the heartbeat and leaves the run. */
  leave(): Promise<void>;
}

/**
 * Joins the run named by `url`; a fresh trainer takes the latest average. `log` receives each round's figures,
 * `say` a line for people (the CLI prints it).
 */
export async function joinPeers(url: string, trainer: Trainer, log: (record: object) => void, say: (line: string) => void = () => {}): Promise<PeerRounds> {
  const settings = parsePeersUrl(url);
  const peers = new PeerAveraging(settings);
  const latest = await peers.join();
  if (latest !== null && trainer.step === 0) {
    trainer.model.write(latest.parameters);
    say(`peers: starting from the average of round ${latest.round} of ${settings.run}`);
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
