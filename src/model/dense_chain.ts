/** A chain of dense layers recorded as launches: each layer reads the previous one's output; and its backward. */
import { denseBackwardInput, denseBackwardWeight, denseForward } from '../kernels/matmul.ts';
import { columnSum } from '../kernels/column_sum.ts';
import type { KernelDispatch } from '../kernels/kernel.ts';
import type { BufferSet } from './buffer_set.ts';
import { tensorIn, type ModelBuffers } from './model_buffers.ts';
import type { DenseLayer } from './vae_architecture.ts';

/**
 * Records `layers` over B rows from `input` into `into`: the last layer writes `output`, every other one a
 * buffer of `buffers` (B, outputs), labelled `${label} ${layer} output`. Returns those hidden outputs in order.
 */
export function denseChain(
  model: ModelBuffers,
  layers: readonly DenseLayer[],
  B: number,
  io: { input: GPUBuffer; output: GPUBuffer; buffers: BufferSet; label: string; into: KernelDispatch[] },
): GPUBuffer[] {
  const hidden: GPUBuffer[] = [];
  let x = io.input;
  layers.forEach((l, i) => {
    const y = i === layers.length - 1 ? io.output : io.buffers.storage(`${io.label} ${l.name} output`, B * l.outputs);
    io.into.push(
      denseForward(
        model.gpu,
        {
          B,
          inputs: l.inputs,
          outputs: l.outputs,
          activation: l.activation,
          x: { buffer: x },
          weight: tensorIn(model.layout, model.params, `${l.name}.weight`),
          bias: tensorIn(model.layout, model.params, `${l.name}.bias`),
          y: { buffer: y },
        },
        `${io.label} ${l.name} forward`,
      ),
    );
    if (y !== io.output) hidden.push(y);
    x = y;
  });
  return hidden;
}

/**
 * Backward through dense layers over B rows, last first: layer i read `inputs[i]` and has ∂loss/∂pre in
 * `dPre[i]` (the last one's given). Each writes (never accumulates) its weight and bias gradients into `grads`
 * (P, laid out as the parameters) and, into dPre[i − 1] (or `dInput` for the first layer, unless null), the
 * gradient into its input times the derivative of the activation that made it.
 */
export function denseChainBackward(
  model: ModelBuffers,
  layers: readonly DenseLayer[],
  B: number,
  io: { inputs: GPUBuffer[]; dPre: GPUBuffer[]; dInput: GPUBuffer | null; grads: GPUBuffer; into: KernelDispatch[] },
): void {
  const { gpu, layout, params } = model;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const x = { buffer: io.inputs[i] };
    io.into.push(
      denseBackwardWeight(
        gpu,
        {
          B,
          inputs: l.inputs,
          outputs: l.outputs,
          x,
          dPre: { buffer: io.dPre[i] },
          dWeight: tensorIn(layout, io.grads, `${l.name}.weight`),
        },
        `${l.name} dW`,
      ),
    );
    io.into.push(
      columnSum(
        gpu,
        { M: B, N: l.outputs, a: { buffer: io.dPre[i] }, out: tensorIn(layout, io.grads, `${l.name}.bias`) },
        `${l.name} db`,
      ),
    );
    const dx = i === 0 ? io.dInput : io.dPre[i - 1];
    if (dx !== null) {
      io.into.push(
        denseBackwardInput(
          gpu,
          {
            B,
            inputs: l.inputs,
            outputs: l.outputs,
            dPre: { buffer: io.dPre[i] },
            weight: tensorIn(layout, params, `${l.name}.weight`),
            x,
            dx: { buffer: dx },
            inputActivation: i === 0 ? 'identity' : layers[i - 1].activation,
          },
          `${l.name} dX`,
        ),
      );
    }
  }
}
