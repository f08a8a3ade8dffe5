// Test helper: writes a .npy file (format 1.0) the way numpy.save does, for any of the dtypes aevb reads.
export function npyBytes(
  dtype: '|u1' | '<f4' | '<f8' | '>f4' | '<i2',
  shape: number[],
  values: ArrayLike<number>,
  fortran = false,
): Uint8Array {
  let header = `{'descr': '${dtype}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const size = { '|u1': 1, '<f4': 4, '<f8': 8, '>f4': 4, '<i2': 2 }[dtype];
  const out = new Uint8Array(10 + header.length + values.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < values.length; i++) {
    if (dtype === '|u1') view.setUint8(i, values[i]);
    else if (dtype === '<f4') view.setFloat32(4 * i, values[i], true);
    else if (dtype === '>f4') view.setFloat32(4 * i, values[i], false);
    else if (dtype === '<f8') view.setFloat64(8 * i, values[i], true);
    else view.setInt16(2 * i, values[i], true);
  }
  return out;
}
