// aevb's browser types for TypeScript 5.x (package.json exports: types@<6.0): see index.node.d.ts beside it.
/// <reference types="@webgpu/types" />
export * from '../dist/index.browser.js';
