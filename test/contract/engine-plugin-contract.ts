// The contract suite now lives in src/testing/ (published as `backup-gateway/testing`); kept for existing importers.
export * from '../../src/testing/engine-plugin-contract.ts';
