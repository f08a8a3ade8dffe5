/** A chain of dense layers recorded as launches: each layer reads the previous one's output. */
import { denseForward } from '../kernels/matmul.ts';
import type { KernelDispatch } from '../kernels/kernel.ts';
import type { BufferSet } from './buffer_set.ts';
import { tensorIn, type ModelBuffers } from './model_buffers.ts';
import type { DenseLayer } from './vae_architecture.ts';

/**
 * Records `layers` over B rows from `input` into `into`: the last layer writes `output`, every other one a
 * buffer of `buffers` (B, outputs), labelled `${label} ${layer} output`. Returns those hidden outputs in order.
 */
export function denseChain(
  model: ModelBuffers, layers: readonly DenseLayer[], B: number,
  io: { input: GPUBuffer; output: GPUBuffer; buffers: BufferSet; label: string; into: KernelDispatch[] },
): GPUBuffer[] {
  const hidden: GPUBuffer[] = [];
  let x = io.input;
  layers.forEach((l, i) => {
    const y = i === layers.length - 1 ? io.output : io.buffers.storage(`${io.label} ${l.name} output`, B * l.outputs);
    io.into.push(denseForward(model.gpu, {
      B, inputs: l.inputs, outputs: l.outputs, activation: l.activation, x: { buffer: x },
      weight: tensorIn(model.layout, model.params, `${l.name}.weight`), bias: tensorIn(model.layout, model.params, `${l.name}.bias`), y: { buffer: y },
    }, `${io.label} ${l.name} forward`));
    if (y !== io.output) hidden.push(y);
    x = y;
  });
  return hidden;
}
