// Reference of shaders/step_input.wgsl: the CPU path the kernel replaces, which stays in aevb and is the oracle.
// The Batcher cuts the bytes into a minibatch (src/stream/minibatch.ts), StepInput scales it and binarizes or
// dequantizes it for step t (src/stream/step_input.ts: Philox uniforms in float64 from src/random/philox.ts,
// pinned to Random123's vectors in test/philox.test.ts; dequantization in float64, data/dequantization.ts), and
// each row is repeated L times as UploadRing.write lays it out (src/gpu/upload_ring.ts). None of it shares
// code with the WGSL. There is no gradient: x is an input of the step.
import { Batcher } from '../../src/stream/minibatch.ts';
import { StepInput, type StepInputKind } from '../../src/stream/step_input.ts';

/** x: (B·L, D) for B·D bytes at step `step`, the bytes scaled by `scale` (1/255 for every u8 source). */
export function stepInputReference(
  bytes: Uint8Array,
  s: { B: number; D: number; L: number; kind: StepInputKind; seed: number; scale: number },
  step: number,
): Float32Array {
  const { B, D, L } = s;
  const [batch] = [...new Batcher(B).push({ values: bytes, rows: B, D, scale: s.scale })];
  const data = new StepInput(s.kind, s.seed).prepare(batch, step);
  const x = new Float32Array(B * L * D);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) x.set(data.subarray(b * D, (b + 1) * D), (b * L + l) * D);
  return x;
}
