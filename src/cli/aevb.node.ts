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

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
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
  console.error(`aevb: ${(error as Error).message.replace(/^aevb: /, '')}`);
  process.exitCode = 1;
}
