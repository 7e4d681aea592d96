import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, formatLogLine, isKafkaLogLevel, LoggerRegistry, ROOT_LOGGER } from '../../../src/util/log.ts';

function sink(): { lines: string[]; write(s: string): void } {
  const lines: string[] = [];
  return { lines, write: (s: string) => lines.push(s) };
}

describe('createLogger', () => {
  it('writes human-readable lines by default', () => {
    const out = sink();
    const log = createLogger({ name: 'broker', destination: out, env: {} });
    log.info({ topic: 'orders', partitions: 3, note: 'two words' }, 'topic created');
    assert.equal(out.lines.length, 1);
    assert.match(
      out.lines[0]!,
      /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] INFO {2}broker: topic created topic=orders partitions=3 note="two words"\n$/,
    );
  });

  it('honours TRIBUTARY_LOG_LEVEL and the level option', () => {
    const out = sink();
    const log = createLogger({ destination: out, env: { TRIBUTARY_LOG_LEVEL: 'warn' } });
    log.info('hidden');
    log.warn('shown');
    assert.equal(out.lines.length, 1);
    assert.match(out.lines[0]!, /\] WARN {2}shown\n$/);
    const out2 = sink();
    const debug = createLogger({ destination: out2, level: 'debug', env: { TRIBUTARY_LOG_LEVEL: 'error' } });
    debug.debug('dbg');
    assert.match(out2.lines[0]!, /DEBUG dbg/);
  });

  it('defaults to info', () => {
    const out = sink();
    const log = createLogger({ destination: out, env: {} });
    log.debug('no');
    log.info('yes');
    assert.equal(out.lines.length, 1);
  });

  it('writes JSON when TRIBUTARY_LOG_FORMAT=json', () => {
    const out = sink();
    const log = createLogger({ name: 'server', destination: out, env: { TRIBUTARY_LOG_FORMAT: 'json' } });
    log.error({ port: 9092 }, 'bind failed');
    const o = JSON.parse(out.lines[0]!) as Record<string, unknown>;
    assert.equal(o.level, 50);
    assert.equal(o.name, 'server');
    assert.equal(o.msg, 'bind failed');
    assert.equal(o.port, 9092);
  });

  it('prints error stacks and child bindings', () => {
    const out = sink();
    const log = createLogger({ name: 'broker', destination: out, env: {} }).child({ conn: 7 });
    log.error({ err: new Error('boom') }, 'request failed');
    assert.match(out.lines[0]!, /ERROR broker: request failed conn=7 err=boom\n {4}Error: boom\n {8}at /);
  });
});

describe('formatLogLine', () => {
  it('formats pino JSON', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 10, 24, 10),
      name: 'broker',
      msg: 'm',
      k: 'v',
      o: { a: 1 },
    });
    assert.equal(formatLogLine(line), '[2026-11-24T10:00:00.000Z] WARN  broker: m k=v o={"a":1}\n');
  });

  it('passes through non-JSON text', () => {
    assert.equal(formatLogLine('plain'), 'plain\n');
  });
});

describe('LoggerRegistry (runtime log levels)', () => {
  it('module loggers follow the root level until given their own, and fall back when unset', () => {
    const out = sink();
    const reg = new LoggerRegistry(createLogger({ name: 'broker', destination: out, env: {}, level: 'info' }));
    const storage = reg.get('tributary.storage');
    const server = reg.get('tributary.server');
    storage.debug('hidden');
    reg.setLevel('tributary.storage', 'DEBUG');
    storage.debug('storage debug');
    server.debug('still hidden');
    assert.deepEqual(
      out.lines.map((l) => l.replace(/^\[[^\]]+\] /, '')),
      ['DEBUG broker: storage debug\n'],
      'lines look the same as the root logger',
    );
    reg.setLevel(ROOT_LOGGER, 'WARN');
    assert.deepEqual(reg.levels(), [
      { name: 'root', level: 'WARN' },
      { name: 'tributary.server', level: 'WARN' },
      { name: 'tributary.storage', level: 'DEBUG' },
    ]);
    reg.unsetLevel('tributary.storage');
    assert.equal(reg.levels().find((l) => l.name === 'tributary.storage')!.level, 'WARN');
    assert.ok(reg.has('root') && reg.has('tributary.server') && !reg.has('kafka.server'));
    assert.ok(isKafkaLogLevel('TRACE') && !isKafkaLogLevel('trace') && !isKafkaLogLevel(null));
  });
});
