// aevb's Node types for TypeScript 5.x (package.json exports: types@<6.0). TypeScript 6 added WebGPU's names
// (GPUDevice, GPUBuffer…) to its DOM library; 5.x has none, so they come from @webgpu/types, a dependency of aevb.
// (Referenced only here: with TypeScript 6 and later the two declarations of each name would collide.)
/// <reference types="@webgpu/types" />
export * from '../dist/index.node.js';
