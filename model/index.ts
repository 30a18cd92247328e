/**
 * aiospec's reference model of Linux io_setup(2) and io_destroy(2), and of the rest of the AIO
 * family (family/: io_submit, io_getevents, io_pgetevents, io_cancel, the completion ring).
 * Pure TypeScript with no imports outside this folder: it runs in Node and in a browser.
 */
export * from './abi/capabilities.js';
export * from './abi/ctx-kinds.js';
export * from './abi/errno.js';
export * from './abi/iocb.js';
export * from './abi/limits.js';
export * from './abi/ring-header.js';
export * from './abi/seccomp.js';
export * from './abi/syscall-table.js';
export * from './alloc-faults.js';
export * from './destroy-facts.js';
export * from './env.js';
export * from './family/index.js';
export * from './io-destroy.js';
export * from './io-setup.js';
export * from './memory.js';
export * from './profiles.js';
export * from './ring.js';
export * from './rules/io-destroy-rules.js';
export * from './rules/io-setup-rules.js';
export * from './rules/rule.js';
export * from './rules/seccomp-rules.js';
export * from './seccomp-eval.js';
export * from './seccomp-profile.js';
export * from './setup-facts.js';
export * from './state.js';
export * from './u32.js';
