// The public test kit (`backup-gateway/testing`): the shared contract suite every plugin passes, and the
// helpers the built-in plugins' own tests use — temporary storage, a job context with a progress recorder
// and a cancel trigger, backup/restore runners wired like the core — plus the checks the gateway runs when it
// loads a plugin package.
export * from './engine-plugin-contract.ts';
export * from './harness.ts';
export { CAPABILITY_MEMBERS, instanceFaults, pluginFaults, type PluginFault } from '../engines/plugin-validation.ts';
