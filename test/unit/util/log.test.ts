// The logging behaviour docs/OPERATIONS.md documents: TRIBUTARY_LOG_LEVEL, TRIBUTARY_LOG_FORMAT (pretty or JSON
// lines) and runtime levels per module (BROKER_LOGGER configs) through LoggerRegistry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, LoggerRegistry } from '../../../src/util/log.ts';

function capture(env: NodeJS.ProcessEnv) {
  const lines: string[] = [];
  const log = createLogger({ name: 'tributary', env, destination: { write: (s: string) => lines.push(s) } });
  return { log, lines };
}

describe('logging', () => {
  test('TRIBUTARY_LOG_LEVEL sets the level (default info)', () => {
    const def = capture({});
    def.log.debug('hidden');
    def.log.info('shown');
    assert.equal(def.lines.length, 1);
    const debug = capture({ TRIBUTARY_LOG_LEVEL: 'debug' });
    debug.log.debug('shown');
    assert.equal(debug.lines.length, 1);
    const warn = capture({ TRIBUTARY_LOG_LEVEL: 'warn' });
    warn.log.info('hidden');
    assert.equal(warn.lines.length, 0);
  });

  test('pretty format (default): [time] LEVEL name: message key=value, the stack of an error below', () => {
    const { log, lines } = capture({});
    log.info({ topic: 'orders', note: 'two words' }, 'created');
    assert.match(
      lines[0]!,
      /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] INFO {2}tributary: created topic=orders note="two words"\n$/,
    );
    log.error({ err: new Error('disk full') }, 'write failed');
    assert.match(lines[1]!, /ERROR tributary: write failed err="disk full"\n {4}Error: disk full\n {8}at /);
  });

  test('TRIBUTARY_LOG_FORMAT=json writes pino JSON lines', () => {
    const { log, lines } = capture({ TRIBUTARY_LOG_FORMAT: 'json' });
    log.warn({ partition: 3 }, 'slow');
    const o = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(o.level, 40);
    assert.equal(o.msg, 'slow');
    assert.equal(o.name, 'tributary');
    assert.equal(o.partition, 3);
    assert.equal(typeof o.time, 'number');
  });

  test('runtime levels per module: a logger follows root until given its own level', () => {
    const { log, lines } = capture({});
    const loggers = new LoggerRegistry(log);
    const storage = loggers.get('tributary.storage');
    const server = loggers.get('tributary.server');
    loggers.setLevel('tributary.storage', 'DEBUG');
    storage.debug('storage detail');
    server.debug('server detail');
    assert.deepEqual(
      lines.map((l) => l.includes('storage detail') || l.includes('server detail')),
      [true],
    );
    loggers.setLevel('root', 'ERROR');
    assert.deepEqual(loggers.levels(), [
      { name: 'root', level: 'ERROR' },
      { name: 'tributary.server', level: 'ERROR' },
      { name: 'tributary.storage', level: 'DEBUG' },
    ]);
    loggers.unsetLevel('tributary.storage');
    assert.equal(storage.level, 'error');
  });
});
