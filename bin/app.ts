#!/usr/bin/env node
// The CDK app: `cdk synth` / `cdk deploy [-c config=PATH]`. A bad config stops synth before any resource exists.
import { InputError, formatIssue } from '../lambda/core/issues';
import { buildApp } from '../lib/app';

try {
  buildApp();
} catch (err) {
  if (!(err instanceof InputError)) throw err;
  for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  process.stderr.write(
    `${err.issues.length} error${err.issues.length === 1 ? '' : 's'} in the config: nothing synthesised\n`,
  );
  process.exit(1);
}
