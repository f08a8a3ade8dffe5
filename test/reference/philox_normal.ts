// Reference of shaders/philox_normal.wgsl. The float64 implementation lives in src/random/philox.ts because
// the CPU side of aevb draws from the same generator (initialisation, shuffling); it is written independently
// of the WGSL and pinned to Random123's published known-answer vectors in test/philox.test.ts, which is what
// makes it a reference. There is no gradient: ε is an input of the step, not a function of parameters.
export { philoxNormals as philoxNormalReference } from '../../src/random/philox.ts';
