/** Where the event config is read from unless told otherwise (its own module: the CLI's help needs no parser). */
export const DEFAULT_CONFIG_PATH = 'config/events.yaml';
