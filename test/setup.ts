import 'aws-sdk-client-mock-jest';

// Test output is the results: the handlers' JSON log lines and the SDK's Node version notice are not. Set here so
// the CLI processes the tests start inherit them too.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
