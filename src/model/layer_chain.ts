/**
 * A chain of layers recorded as launches: each layer reads the previous one's output; and its backward. Dense
 * layers run on the matmul kernels, convolutions on src/kernels/conv2d.ts; rows are NCHW, so a reshape between
 * them costs nothing and is not in the chain (vae_architecture.ts).
 */
import { denseBackwardInput, denseBackwardWeight, denseForward } from '../kernels/matmul.ts';
import { columnSum } from '../kernels/column_sum.ts';
import { channelSum } from '../kernels/channel_sum.ts';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  convTranspose2dBackwardInput,
  convTranspose2dBackwardWeight,
  convTranspose2dForward,
  type Conv2dShape,
} from '../kernels/conv2d.ts';
import type { KernelDispatch } from '../kernels/kernel.ts';
import type { BufferSet } from './buffer_set.ts';
import { tensorIn, type ModelBuffers } from './model_buffers.ts';
import type { ChainLayer, ConvLayer } from './vae_architecture.ts';

/** The kernels' description of a convolution layer over B rows. */
function convShape(l: ConvLayer, B: number): Conv2dShape {
  const { inChannels, inHeight, inWidth, outChannels, kernel, stride, padding } = l;
  return { B, inChannels, inHeight, inWidth, outChannels, kernel, stride, padding };
}

const CONV_KERNELS = {
  conv: { forward: conv2dForward, input: conv2dBackwardInput, weight: conv2dBackwardWeight },
  'conv-transpose': {
    forward: convTranspose2dForward,
    input: convTranspose2dBackwardInput,
    weight: convTranspose2dBackwardWeight,
  },
} as const;

/**
 * Records `layers` over B rows from `input` into `into`: the last layer writes `output`, every other one a
 * buffer of `buffers` (B, outputs), labelled `${label} ${layer} output`. Returns those hidden outputs in order.
 */
export function layerChain(
  model: ModelBuffers,
  layers: readonly ChainLayer[],
  B: number,
  io: { input: GPUBuffer; output: GPUBuffer; buffers: BufferSet; label: string; into: KernelDispatch[] },
): GPUBuffer[] {
  const hidden: GPUBuffer[] = [];
  let x = io.input;
  layers.forEach((l, i) => {
    const y = i === layers.length - 1 ? io.output : io.buffers.storage(`${io.label} ${l.name} output`, B * l.outputs);
    const weight = tensorIn(model.layout, model.params, `${l.name}.weight`);
    const bias = tensorIn(model.layout, model.params, `${l.name}.bias`);
    const label = `${io.label} ${l.name} forward`;
    if (l.kind === 'dense') {
      const { inputs, outputs, activation } = l;
      io.into.push(
        denseForward(
          model.gpu,
          { B, inputs, outputs, activation, x: { buffer: x }, weight, bias, y: { buffer: y } },
          label,
        ),
      );
    } else {
      const shape = { ...convShape(l, B), x: { buffer: x }, weight, bias, y: { buffer: y }, activation: l.activation };
      io.into.push(...CONV_KERNELS[l.kind].forward(model.gpu, shape, label));
    }
    if (y !== io.output) hidden.push(y);
    x = y;
  });
  return hidden;
}

/**
 * Backward through layers over B rows, last first: layer i read `inputs[i]` and has ∂loss/∂pre in `dPre[i]`
 * (the last one's given). Each writes (never accumulates) its weight and bias gradients into `grads` (P, laid
 * out as the parameters) and, into dPre[i − 1] (or `dInput` for the first layer, unless null), the gradient into
 * its input times the derivative of the activation that made it.
 */
export function layerChainBackward(
  model: ModelBuffers,
  layers: readonly ChainLayer[],
  B: number,
  io: { inputs: GPUBuffer[]; dPre: GPUBuffer[]; dInput: GPUBuffer | null; grads: GPUBuffer; into: KernelDispatch[] },
): void {
  const { gpu, layout, params } = model;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const x = { buffer: io.inputs[i] };
    const dPre = { buffer: io.dPre[i] };
    const dWeight = tensorIn(layout, io.grads, `${l.name}.weight`);
    const dBias = tensorIn(layout, io.grads, `${l.name}.bias`);
    const weight = tensorIn(layout, params, `${l.name}.weight`);
    const dx = i === 0 ? io.dInput : io.dPre[i - 1];
    const inputActivation = i === 0 ? 'identity' : layers[i - 1].activation;
    if (l.kind === 'dense') {
      const { inputs, outputs } = l;
      io.into.push(denseBackwardWeight(gpu, { B, inputs, outputs, x, dPre, dWeight }, `${l.name} dW`));
      io.into.push(columnSum(gpu, { M: B, N: outputs, a: dPre, out: dBias }, `${l.name} db`));
      if (dx !== null) {
        io.into.push(
          denseBackwardInput(
            gpu,
            { B, inputs, outputs, dPre, weight, x, dx: { buffer: dx }, inputActivation },
            `${l.name} dX`,
          ),
        );
      }
    } else {
      const shape = convShape(l, B);
      const kernels = CONV_KERNELS[l.kind];
      io.into.push(...kernels.weight(gpu, { ...shape, x, dPre, dWeight }, `${l.name} dW`));
      io.into.push(
        channelSum(
          gpu,
          { B, channels: l.outChannels, size: l.outHeight * l.outWidth, a: dPre, out: dBias },
          `${l.name} db`,
        ),
      );
      if (dx !== null) {
        io.into.push(
          ...kernels.input(gpu, { ...shape, dPre, weight, x, dx: { buffer: dx }, inputActivation }, `${l.name} dX`),
        );
      }
    }
  }
}
