/**
 * aevb's library entry for any environment (Node or a browser page). Node adds files, the bundled MNIST and
 * checkpoints on disk (index.node.ts); pages get the bundled shaders (index.browser.ts).
 *
 *   the device   acquireDevice → GpuContext
 *   the model    Vae: encode, decode, sample, reconstruct, evaluate, logPx, activeUnits
 *   training     Trainer (a Vae + its optimizer) and trainingRun (epochs, evaluation, checkpoints, resume, stop)
 *   data         row sources: memorySource, urlSource, streamSource, httpShardsSource, syntheticSource,
 *                shardedSource, or your own { name, open() }; loadRows for evaluation sets in memory
 *   checkpoints  encodeCheckpoint / decodeCheckpoint (safetensors bytes); saveModel / loadModel (a bare model)
 */
export { acquireDevice, GpuContext, type AcquireOptions, type AdapterSummary } from './gpu/device.ts';
export { shaderSourceFromRecord, type ShaderSource } from './gpu/shader_source.ts';
export { Vae, type ModelConfig } from './vae/vae.ts';
export {
  Trainer,
  NonFiniteError,
  type NonFiniteCause,
  type TrainerOptions,
  type TrainOnOptions,
  type TrainerSnapshot,
  type NamedTensor,
} from './train/trainer.ts';
export { DEFAULT_TRAIN_CONFIG, validateTrainConfig, type TrainConfig } from './train/train_config.ts';
export type { Activation } from './kernels/activation.ts';
export type { InitScheme } from './model/initialization.ts';
export type { LrSchedule } from './train/lr_schedule.ts';
export type { EncodedRows } from './eval/encode_rows.ts';
export type { StepMetrics } from './train/metrics_reader.ts';
export type { ElboResult } from './eval/dataset_elbo.ts';
export type { LogPxResult } from './eval/importance_sampled_log_px.ts';
export type { ActiveUnits } from './eval/active_units.ts';
export { encodeSource, type EncodeSourceOptions, type EncodedBlock } from './eval/encode_source.ts';
export {
  trainingRun,
  type TrainingRunOptions,
  type CheckpointSink,
  type CheckpointOccasion,
} from './run/training_run.ts';
export { RUN_DEFAULTS } from './run/run_defaults.ts';
export { fit, type TrainingHistory } from './run/fit.ts';
export type {
  TrainingEvent,
  RunStartEvent,
  RunStepEvent,
  RunMetricsEvent,
  RunEvaluationEvent,
  RunEpochEvent,
  RunCheckpointEvent,
  RunStoppedEvent,
  RunDoneEvent,
} from './run/training_events.ts';
export type { RunState, RunPlan, DataDescription } from './run/run_state.ts';
export type { StreamPosition } from './run/stream_position.ts';
export type { RowSource } from './data/row_source.ts';
export type { RowBlock } from './data/row_block.ts';
export { shardedSource } from './data/row_source.ts';
export { memorySource, type MemorySourceOptions } from './data/memory_source.ts';
export { urlSource, type UrlSourceOptions } from './data/url_source.ts';
export { streamSource, type StreamSourceOptions } from './data/stream_source.ts';
export { syntheticSource, type SyntheticOptions } from './data/synthetic_source.ts';
export { loadRows, rowLengthOf } from './data/read_rows.ts';
// Evaluation sets are dequantized once by loadRows({ dequantize: true }); bits/dim is what `aevb eval` reports.
export { bitsPerDimension } from './data/dequantization.ts';
export type { Likelihood } from './model/vae_architecture.ts';
// Architectures as data: the `arch` of a config ('mlp', 'conv:32,64' or a layer list) and its image shape.
export { parseArch, type ArchSpec, type LayerList, type LayerSpec, type ImageShape } from './model/layer_specs.ts';
export { DataFormatError } from './data/data_format_error.ts';
export type { DataFormat } from './data/row_format.ts';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint } from './io/checkpoint_format.ts';
// A bare model (config and parameters, no optimizer or run state) as checkpoint bytes, and back.
export { saveModel, loadModel } from './io/model_file.ts';
export { imageGrid, pairRows, type GreyImage } from './io/image_grid.ts';
export { httpShardsSource, parseShardOf, type HttpShardsOptions, type HttpShardsSource } from './data/http_shards.ts';
export type { AcknowledgingSource, CheckpointedRows } from './data/acknowledging_source.ts';
