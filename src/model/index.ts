export * from './access-state.js';
export * from './diagnostic.js';
export * from './grant.js';
export * from './grantee.js';
export * from './policy.js';
export * from './privileges.js';
export * from './qualified-name.js';
export * from './table-rls.js';
