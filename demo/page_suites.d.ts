// The module vite.config.ts makes from test/suites.ts for the kernel-tests page: each suite marked `page`, by
// its stem ('matmul'), as a function that imports it.
declare module 'virtual:aevb-page-suites' {
  export const suites: Record<string, () => Promise<unknown>>;
}
