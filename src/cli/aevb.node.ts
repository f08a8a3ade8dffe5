// Node-only: the `aevb` command line.
import { Command } from 'commander';
import { trainCommand } from './train_options.node.ts';
import { runTraining } from './train_run.node.ts';
import { evalCommand } from './eval_command.node.ts';
import { sampleCommand } from './sample_command.node.ts';
import { paperCommand } from './paper_command.node.ts';
import { publishCommand } from './publish_command.node.ts';

const program = new Command('aevb')
  .description('Auto-Encoding Variational Bayes trained by WGSL compute shaders on WebGPU')
  .showHelpAfterError();
program.addCommand(trainCommand(runTraining));
program.addCommand(evalCommand());
program.addCommand(sampleCommand());
program.addCommand(paperCommand());
program.addCommand(publishCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`aevb: ${(error as Error).message.replace(/^aevb: /, '')}`);
  process.exitCode = 1;
}
