/**
 * The reference model of the rest of the AIO family: io_submit, io_getevents,
 * io_pgetevents, io_cancel, the completion ring with its slot accounting,
 * user-space reaping, and the pipes/eventfds/tmpfs files a case uses.
 * decide* are pure (they work on a copy of the FamilyState); commit* keep the
 * outcome's state. aio-family.md is the source; the rules cite fs/aio.c.
 */

export * from '../rules/family-call-rules.js';
export * from '../rules/family-iocb-rules.js';
export * from '../rules/family-orders.js';
export * from '../rules/family-rule-ids.js';
export * from './call-facts.js';
export * from './cancel.js';
export * from './capacity.js';
export * from './completion.js';
export * from './files.js';
export * from './getevents.js';
export * from './iocb-facts.js';
export * from './kernel.js';
export * from './lookup.js';
export * from './slots.js';
export * from './state.js';
export * from './steps.js';
export * from './submit.js';
export * from './user-io.js';
