import fc from 'fast-check';
import 'aws-sdk-client-mock-jest';

// Test output is the results: the handlers' JSON log lines and the SDK's Node version notice are not. Set here so
// the CLI processes the tests start inherit them too.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Property tests draw the same cases on every machine (set FC_SEED to explore others), and a failing property
// reports within two minutes instead of shrinking for as long as CI allows.
fc.configureGlobal({
  seed: Number(process.env.FC_SEED ?? 20261125),
  interruptAfterTimeLimit: 120_000,
  markInterruptAsFailure: true,
});
