/**
 * A module loaded when a command runs rather than when the CLI starts, so `--help` loads neither the config parser,
 * the simulator's report nor the AWS SDK. Through `require`, which tsx compiles on the fly (a dynamic `import()` of
 * a TypeScript file bypasses it); `module` is resolved from the calling command's folder, bin/cli/commands.
 */
export function lazy<T>(module: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(module, { paths: [`${__dirname}/commands`] })) as T;
}
