// lib/matmul_epilogue.wgsl — the fused epilogues of matmul.wgsl and matmul_lanes.wgsl: which one runs
// (EPILOGUE), which activation it applies (ACTIVATION), and the activation table with its derivatives.
//
//   EPILOGUE_NONE        C = A·B
//   EPILOGUE_BIAS_ACT    C = act(A·B + bias)
//   EPILOGUE_ACT_GRAD    C = (A·B) ⊙ act'(y), act' written through the activation's output y
//
// On `Real` (f32 in matmul.wgsl, vec4<f32> in matmul_lanes.wgsl; see lib/activations.wgsl, which this uses).
// The ACT_* ids are the positions of src/kernels/activation.ts ACTIVATIONS (test/activation.test.ts runs each).

// #include "lib/activations.wgsl"

const EPILOGUE_NONE: u32 = 0u;
const EPILOGUE_BIAS_ACT: u32 = 1u;
const EPILOGUE_ACT_GRAD: u32 = 2u;

const ACT_IDENTITY: u32 = 0u;
const ACT_TANH: u32 = 1u;
const ACT_RELU: u32 = 2u;
const ACT_SOFTPLUS: u32 = 3u;
const ACT_SIGMOID: u32 = 4u;

override EPILOGUE: u32 = EPILOGUE_NONE;
override ACTIVATION: u32 = ACT_IDENTITY;

fn activate(x: Real) -> Real {
  switch (ACTIVATION) {
    case ACT_TANH: { return stable_tanh(x); }
    case ACT_RELU: { return max(x, Real(0.0)); }
    case ACT_SOFTPLUS: { return softplus(x); }
    // The plain form, as dense layers have always had it (lib's sigmoid may round differently for x < 0).
    case ACT_SIGMOID: { return Real(1.0) / (Real(1.0) + exp(-x)); }
    default: { return x; }
  }
}

// Derivative of the activation expressed through its output y (the forward pass keeps y, not the input).
fn activation_derivative_from_output(y: Real) -> Real {
  switch (ACTIVATION) {
    case ACT_TANH: { return Real(1.0) - y * y; }
    case ACT_RELU: { return select(Real(0.0), Real(1.0), y > Real(0.0)); }
    case ACT_SOFTPLUS: { return -expm1_neg(y); }
    case ACT_SIGMOID: { return y * (Real(1.0) - y); }
    default: { return Real(1.0); }
  }
}

// exp(-y) - 1 for y >= 0, accurate for small y where 1 - exp(-y) would cancel (softplus' = 1 - exp(-y)).
fn expm1_neg(y: Real) -> Real {
  return select(exp(-y) - Real(1.0), -y * (Real(1.0) - 0.5 * y * (Real(1.0) - y / 3.0)), y < Real(1e-3));
}
