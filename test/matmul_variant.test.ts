// src/kernels/matmul_variant.ts without a GPU: the per-adapter rules, and the refusal of unknown names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AdapterSummary } from '../src/gpu/device.ts';
import { chooseMatmulVariant, lanesSupported, parseMatmulVariant } from '../src/kernels/matmul_variant.ts';
import { throwsWith } from './gpu_suite.ts';

/** What acquireDevice reports, with the fields a rule may read set per case. */
function adapter(fields: Partial<AdapterSummary>): AdapterSummary {
  return {
    vendor: '',
    architecture: '',
    device: '',
    description: '',
    isFallbackAdapter: false,
    driver: 'test',
    subgroups: null,
    ...fields,
  };
}

const LAVAPIPE = 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1';

test('lavapipe with subgroups of 8 gets lanes; without subgroups, register', () => {
  assert.is(chooseMatmulVariant(adapter({ description: LAVAPIPE, subgroups: { minSize: 8, maxSize: 8 } })), 'lanes');
  assert.is(chooseMatmulVariant(adapter({ description: LAVAPIPE, subgroups: null })), 'register');
  // AVX-512 builds of llvmpipe may run 16 lanes: a workgroup of 8 is still inside one subgroup.
  assert.is(chooseMatmulVariant(adapter({ description: LAVAPIPE, subgroups: { minSize: 16, maxSize: 16 } })), 'lanes');
});

test('SwiftShader (subgroups of 4) and fallback adapters get register; lanes is not supported there', () => {
  const swiftshader = adapter({
    vendor: 'google',
    description: 'SwiftShader driver 5.0.0',
    subgroups: { minSize: 4, maxSize: 4 },
  });
  assert.is(chooseMatmulVariant(swiftshader), 'register');
  assert.is(lanesSupported(swiftshader), false);
  assert.is(chooseMatmulVariant(adapter({ description: 'some renderer', isFallbackAdapter: true })), 'register');
});

test('a real GPU gets tiled', () => {
  assert.is(
    chooseMatmulVariant(
      adapter({
        vendor: 'nvidia',
        architecture: 'hopper',
        description: 'NVIDIA H200',
        subgroups: { minSize: 32, maxSize: 32 },
      }),
    ),
    'tiled',
  );
});

test('an unknown variant name is refused with the known ones in the message', () => {
  throwsWith(
    () => parseMatmulVariant('blocked', 'AEVB_MATMUL'),
    ['AEVB_MATMUL', 'register, tiled, lanes', "'blocked'"],
  );
  assert.is(parseMatmulVariant('lanes', 'AEVB_MATMUL'), 'lanes');
});

test.run();
