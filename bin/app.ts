#!/usr/bin/env node
// The CDK app: `cdk synth` / `cdk deploy [-c config=PATH] [-c surgeguard:now=ISO] [-c surgeguard:namePrefix=NAME]`.
// A bad config or context stops synth before any resource exists. The cdk-nag checks are wired here, not in lib/,
// so the construct library does not need cdk-nag (a devDependency).
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InputError, formatIssue } from '../lambda/core/issues';
import { buildApp } from '../lib/app';

try {
  const { app } = buildApp();
  const nag = app.node.tryGetContext('nag') as unknown;
  if (nag !== 'false' && nag !== false) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
} catch (err) {
  if (!(err instanceof InputError)) throw err;
  for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  process.stderr.write(
    `${err.issues.length} error${err.issues.length === 1 ? '' : 's'} in the config or context: nothing synthesised\n`,
  );
  process.exit(1);
}
