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
