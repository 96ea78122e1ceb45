export * from './create-schema.op.js';
export * from './grant.op.js';
export * from './inverse.js';
export * from './op.js';
export * from './policy.op.js';
export * from './set-rls.op.js';
export * from './membership.op.js';
export * from './role.op.js';
