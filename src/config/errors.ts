/** A user-facing configuration problem: names the key, the offending value and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly key: string;
  readonly value: string | null;

  constructor(key: string, value: string | null, expected: string) {
    super(`Invalid value ${value === null ? 'null' : `'${value}'`} for configuration ${key}: ${expected}`);
    this.key = key;
    this.value = value;
  }
}
