// Every temporary file a test run makes (CDK cloud assemblies, packed tarballs, scratch configs) goes under one
// directory that the run removes at the end: left in the system temp directory, a few hundred runs filled the disk.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** Points TMPDIR, which os.tmpdir() and the child processes the tests start read, at a fresh directory. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'surgeguard-test-'));
  process.env.SURGEGUARD_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}

/** Removes that directory with everything the run left in it. */
async function teardown() {
  const dir = process.env.SURGEGUARD_TEST_TMPDIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}

module.exports = { setup, teardown };
