/**
 * aevb's library entry for any environment (Node or a browser page): the device, the trainer, its config,
 * the data helpers that work on bytes. Node adds file and MNIST access in index.node.ts.
 */
export { acquireDevice, GpuContext, type AcquireOptions, type AdapterSummary } from './gpu/device.ts';
export { shaderSourceFromRecord, type ShaderSource } from './gpu/shader_source.ts';
export { Trainer, type FitOptions, type TrainerSnapshot, type NamedTensor } from './train/trainer.ts';
export { DEFAULT_TRAIN_CONFIG, validateTrainConfig, type TrainConfig } from './train/train_config.ts';
export type { StepMetrics } from './train/metrics_reader.ts';
export type { ElboResult } from './eval/test_elbo.ts';
export { parseIdx, DataFormatError, type IdxArray } from './data/idx.ts';
export { datasetFromIdx, type Dataset } from './data/dataset.ts';
export { trainingBatches, binarizeOnce, epochPermutation, batchesPerEpoch } from './data/minibatches.ts';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.ts';
export { urlSource, type UrlSourceOptions } from './data/url_source.ts';
export { parsedSource, readableStreamBytes, shardedSource, type RowSource } from './data/row_source.ts';
export { syntheticSource } from './data/synthetic_source.ts';
export type { RowBlock } from './data/row_block.ts';
export { Demand } from './stream/demand.ts';
export { trainingStream, type TrainingStreamOptions } from './stream/training_stream.ts';
export { trainOnGpu, type PipelineStats } from './stream/train_on_gpu.ts';
export { STREAM_START, type PositionedBatch, type StreamPosition } from './stream/positioned_batch.ts';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint } from './io/checkpoint_format.ts';
export { decodeLatents, reconstruct, samplePrior, latentManifold } from './eval/pictures.ts';
export { imageGrid, pairRows, squareSide, type GreyImage } from './io/image_grid.ts';
export { IdxRowParser } from './data/idx_rows.ts';
export { NpyRowParser } from './data/npy_rows.ts';
export { rowParserFor, formatOfName, DATA_FORMATS, type DataFormat } from './data/row_format.ts';
export { httpShardsSource, shardOrder, parseShardOf, type HttpShardsOptions, type HttpShardsSource } from './data/http_shards.ts';
export { expandBraceRanges } from './data/brace_range.ts';
export { isAcknowledgingSource, type AcknowledgingSource, type CheckpointedRows } from './data/acknowledging_source.ts';
export { parseRedisConsumerUrl, parseRedisStreamUrl, type RedisConsumerSettings, type RedisStreamAddress } from './data/redis_url.ts';
export { decodeEntry, encodeEntry, StreamEntryError } from './data/redis_entry.ts';
