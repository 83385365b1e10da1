// The test kit now lives in src/testing/ (published as `backup-gateway/testing`); kept for existing importers.
export * from '../../src/testing/harness.ts';
