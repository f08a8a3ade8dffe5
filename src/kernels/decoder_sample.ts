/**
 * Wrapper of shaders/decoder_sample.wgsl: x ~ p(x|z) from the decoder output and two standard normals per
 * value (from philox_normal), for each of the decoders (LIKELIHOODS) — the dreams of wake-sleep's sleep phase.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, flatGrid, kernelDispatch, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const DECODER_SAMPLE_WORKGROUP = 256;

/**
 * The shader's LIKELIHOOD override for each decoder it samples, named as the model names its likelihoods
 * (LIKELIHOODS in model/vae_architecture.ts, a layer above): a likelihood added there and missing here fails to
 * compile where the wake-sleep step passes the model's likelihood in.
 */
const LIKELIHOOD_CODE = { bernoulli: 0, gaussian: 1, 'gaussian-shared-variance': 2 } as const;
export type DecoderSampleLikelihood = keyof typeof LIKELIHOOD_CODE;

export const DECODER_SAMPLE = shaderInterface('decoder_sample', {
  out: 'read',
  noise: 'read',
  logVar: 'read',
  x: 'read_write',
  params: uniform('Params', { B: 'u32', D: 'u32', minLogVar: 'f32' }),
});

export function decoderSample(
  ctx: GpuContext,
  s: {
    B: number;
    D: number;
    likelihood: DecoderSampleLikelihood;
    minLogVar: number;
    out: TensorBinding;
    noise: TensorBinding;
    logVar?: TensorBinding;
    x: TensorBinding;
  },
  label = 'decoder_sample',
): KernelDispatch {
  const dims = { B: s.B, D: s.D };
  checkDims(label, dims);
  if (!Number.isFinite(s.minLogVar)) throw new Error(`${label}: minLogVar must be finite, got ${s.minLogVar}`);
  const shared = s.likelihood === 'gaussian-shared-variance';
  if (shared !== (s.logVar !== undefined))
    throw new Error(
      `${label}: logVar is bound for the gaussian-shared-variance decoder and only for it (this one is ${s.likelihood})`,
    );
  const width = s.likelihood === 'gaussian' ? 2 * s.D : s.D;
  const params = DECODER_SAMPLE.uniformBuffer(ctx, `${label} params`, 'params', {
    B: s.B,
    D: s.D,
    minLogVar: s.minLogVar,
  });
  const pipeline = ctx.pipeline('decoder_sample', 'main', {
    WG: DECODER_SAMPLE_WORKGROUP,
    LIKELIHOOD: LIKELIHOOD_CODE[s.likelihood],
  });
  const noise = checkBinding(ctx, label, 'noise', s.noise, s.B * 2 * s.D, dims);
  return kernelDispatch(
    ctx,
    label,
    pipeline,
    DECODER_SAMPLE.entries({
      out: checkBinding(ctx, label, 'out', s.out, s.B * width, dims),
      noise,
      logVar: shared ? checkBinding(ctx, label, 'logVar', s.logVar!, s.D, dims) : noise, // unread placeholder otherwise
      x: checkBinding(ctx, label, 'x', s.x, s.B * s.D, dims),
      params: { buffer: params },
    }),
    flatGrid(label, s.B * s.D, DECODER_SAMPLE_WORKGROUP),
  );
}
