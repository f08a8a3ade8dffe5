// Node-only: the `aevb` command line.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { trainCommand } from './train_options.node.ts';
import { runTraining } from './train_run.node.ts';
import { expandConfigFile } from './config_file.node.ts';
import { evalCommand } from './eval_command.node.ts';
import { sampleCommand } from './sample_command.node.ts';
import { paperCommand } from './paper_command.node.ts';
import { publishCommand } from './publish_command.node.ts';
import { encodeCommand } from './encode_command.node.ts';
import { redactUrl } from '../data/redis/url.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const program = new Command('aevb')
  .description('Auto-Encoding Variational Bayes trained by WGSL compute shaders on WebGPU')
  .version(version, '--version', 'print the version of aevb and exit')
  .showHelpAfterError();
const train = trainCommand(runTraining);
program.addCommand(train);
program.addCommand(evalCommand());
program.addCommand(sampleCommand());
program.addCommand(paperCommand());
program.addCommand(publishCommand());
program.addCommand(encodeCommand());

try {
  await program.parseAsync(expandConfigFile(process.argv, train));
} catch (error) {
  // Whatever the message quotes, a URL's password is not printed.
  console.error(`aevb: ${redactUrl((error as Error).message).replace(/^aevb: /, '')}`);
  process.exitCode = 1;
  // Every path out closes what it opened, so the process ends here by itself. Should something still hold it
  // (a bug), say so and end it rather than hang: an error must exit. The timer does not keep the process alive.
  setTimeout(() => {
    console.error(
      'aevb: still running 10 s after the error above (something was left open; please report it): exiting',
    );
    process.exit(1);
  }, 10_000).unref();
}
