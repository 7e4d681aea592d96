/**
 * Logging on pino. Human-readable lines on stderr by default:
 *   [2026-11-24T10:00:00.000Z] INFO  broker: message key=value
 * JSON lines (pino's format) when TRIBUTARY_LOG_FORMAT=json. Level from TRIBUTARY_LOG_LEVEL (default info).
 */
import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface CreateLoggerOptions {
  level?: LogLevel | string;
  name?: string;
  /** 'pretty' (default) or 'json'; defaults to TRIBUTARY_LOG_FORMAT. */
  format?: 'pretty' | 'json';
  /** Where lines go; defaults to stderr. */
  destination?: { write(line: string): unknown };
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const LEVEL_LABELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

const OMITTED = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

function formatValue(v: unknown): string {
  if (typeof v === 'string') return v === '' || /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

/** Formats one pino JSON line as `[time] LEVEL name: msg key=value`, with an error's stack on following lines. */
export function formatLogLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString() : String(o.time ?? '');
  const level = (LEVEL_LABELS[o.level as number] ?? String(o.level)).padEnd(5);
  let line = `[${time}] ${level} ${o.name !== undefined ? `${o.name}: ` : ''}${o.msg ?? ''}`;
  let stack = '';
  for (const [k, v] of Object.entries(o)) {
    if (OMITTED.has(k)) continue;
    if ((k === 'err' || k === 'error') && v !== null && typeof v === 'object' && 'message' in v) {
      const err = v as { message: unknown; stack?: unknown; type?: unknown };
      line += ` ${k}=${formatValue(err.message)}`;
      if (typeof err.stack === 'string') stack += `\n    ${err.stack.split('\n').join('\n    ')}`;
      continue;
    }
    line += ` ${k}=${formatValue(v)}`;
  }
  return `${line}${stack}\n`;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const level = options.level ?? env.TRIBUTARY_LOG_LEVEL ?? 'info';
  const format = options.format ?? (env.TRIBUTARY_LOG_FORMAT === 'json' ? 'json' : 'pretty');
  const base = options.name !== undefined ? { name: options.name } : {};
  const out = options.destination ?? process.stderr;
  const destination =
    format === 'json' ? { write: (s: string) => out.write(s) } : { write: (s: string) => out.write(formatLogLine(s)) };
  return pino({ level, base }, destination);
}

/** Kafka's log levels (log4j names) as BROKER_LOGGER configs use them, and their pino equivalents. */
export const KAFKA_LOG_LEVELS = ['DEBUG', 'ERROR', 'FATAL', 'INFO', 'TRACE', 'WARN'] as const;
export type KafkaLogLevel = (typeof KAFKA_LOG_LEVELS)[number];
const TO_PINO: Record<KafkaLogLevel, LogLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
};

export function isKafkaLogLevel(s: string | null): s is KafkaLogLevel {
  return s !== null && (KAFKA_LOG_LEVELS as readonly string[]).includes(s);
}

/** The name of the logger every other one follows unless given its own level (log4j's root logger). */
export const ROOT_LOGGER = 'root';

/**
 * Named loggers of one broker, for runtime log levels (BROKER_LOGGER config resources, `kafka-configs.sh
 * --entity-type broker-loggers`). Each module logs through its own pino child of the broker's logger (lines look
 * the same); a child follows the root logger's level until it is given its own, and falls back to it when unset.
 */
export class LoggerRegistry {
  private readonly root: Logger;
  private readonly children = new Map<string, Logger>();
  /** Loggers with a level of their own. */
  private readonly explicit = new Set<string>();

  constructor(root: Logger) {
    this.root = root;
  }

  /** The logger of a module (created on first use), e.g. `tributary.storage`. */
  get(name: string): Logger {
    if (name === ROOT_LOGGER) return this.root;
    let l = this.children.get(name);
    if (!l) {
      l = this.root.child({});
      l.level = this.root.level;
      this.children.set(name, l);
    }
    return l;
  }

  has(name: string): boolean {
    return name === ROOT_LOGGER || this.children.has(name);
  }

  /** Every logger with its current level in Kafka's names (`OFF` when silent), root first, then by name. */
  levels(): Array<{ name: string; level: string }> {
    const label = (l: Logger) => (l.level === 'silent' ? 'OFF' : l.level.toUpperCase());
    const out = [{ name: ROOT_LOGGER, level: label(this.root) }];
    for (const name of [...this.children.keys()].sort()) out.push({ name, level: label(this.children.get(name)!) });
    return out;
  }

  setLevel(name: string, level: KafkaLogLevel): void {
    const pinoLevel = TO_PINO[level];
    if (name === ROOT_LOGGER) {
      this.root.level = pinoLevel;
      for (const [n, l] of this.children) if (!this.explicit.has(n)) l.level = pinoLevel;
      return;
    }
    this.get(name).level = pinoLevel;
    this.explicit.add(name);
  }

  /** Drops a logger's own level: it follows the root logger again. */
  unsetLevel(name: string): void {
    if (name === ROOT_LOGGER) return;
    this.explicit.delete(name);
    const l = this.children.get(name);
    if (l) l.level = this.root.level;
  }
}
