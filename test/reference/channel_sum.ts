// Float64 per-channel sums of a (B, channels, size) tensor: a convolution's bias gradient is channelSum(dPre).

export function channelSum(a: ArrayLike<number>, B: number, channels: number, size: number): Float64Array {
  if (a.length !== B * channels * size)
    throw new Error(`channelSum reference: a has ${a.length} values, want ${B}*${channels}*${size}`);
  const out = new Float64Array(channels);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < channels; c++) for (let p = 0; p < size; p++) out[c] += a[(b * channels + c) * size + p];
  return out;
}
