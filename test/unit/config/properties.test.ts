import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatProperties,
  PropertiesSyntaxError,
  parseProperties,
  readPropertiesFile,
} from '../../../src/config/properties.ts';

const parse = (text: string) => Object.fromEntries(parseProperties(text));

describe('parseProperties', () => {
  it('parses = : and whitespace separators', () => {
    assert.deepEqual(parse('a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t6\ng   =   7'), {
      a: '1',
      b: '2',
      c: '3',
      d: '4',
      e: '5',
      f: '6',
      g: '7',
    });
  });

  it('only the first separator splits; later ones belong to the value', () => {
    assert.deepEqual(parse('listeners=PLAINTEXT://:9092\nx = =y\nk v=w'), {
      listeners: 'PLAINTEXT://:9092',
      x: '=y',
      k: 'v=w',
    });
  });

  it('skips # and ! comments, blank lines and leading whitespace', () => {
    assert.deepEqual(parse('# comment\n   ! also a comment\n\n   \t\n   key=value\n  #x=1'), { key: 'value' });
  });

  it('a key without a value maps to the empty string', () => {
    assert.deepEqual(parse('alone\nempty=\ncolon:'), { alone: '', empty: '', colon: '' });
  });

  it('joins continuation lines and drops their leading whitespace', () => {
    assert.deepEqual(parse('list=a,\\\n    b,\\\n\tc\nnext=1'), { list: 'a,b,c', next: '1' });
  });

  it('an even number of trailing backslashes is not a continuation', () => {
    assert.deepEqual(parse('path=c:\\\\\nnext=1'), { path: 'c:\\', next: '1' });
  });

  it('comment lines do not continue', () => {
    assert.deepEqual(parse('# comment \\\nkey=value'), { key: 'value' });
  });

  it('handles CRLF and CR line endings', () => {
    assert.deepEqual(parse('a=1\r\nb=2\rc=3\r\nd=x\\\r\n  y'), { a: '1', b: '2', c: '3', d: 'xy' });
  });

  it('decodes escapes in keys and values', () => {
    assert.deepEqual(parse('tab\\tkey=a\\tb\\nc\\rd\\fe\nsp\\ ace\\:x\\=y=v\nu=\\u0041\\u00e9\\u4e2d\nother=\\q\\\\'), {
      'tab\tkey': 'a\tb\nc\rd\fe',
      'sp ace:x=y': 'v',
      u: 'Aé中',
      other: 'q\\',
    });
  });

  it('rejects malformed \\u escapes', () => {
    assert.throws(() => parseProperties('k=\\u12'), PropertiesSyntaxError);
    assert.throws(() => parseProperties('k=\\uzzzz'), /line 1/);
  });

  it('keeps trailing whitespace of values and the last duplicate', () => {
    assert.deepEqual(parse('a=1  \na=2 '), { a: '2 ' });
  });

  it('ignores a byte order mark and a trailing backslash at end of input', () => {
    assert.deepEqual(parse('\ufeffa=1\nb=2\\'), { a: '1', b: '2' });
  });

  it('parses a typical server.properties', () => {
    const text = [
      '############################# Server Basics #############################',
      'process.roles=broker,controller',
      'node.id=1',
      'controller.quorum.voters=1@localhost:9093',
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
      'log.dirs=/tmp/kraft-combined-logs',
      'num.partitions=1',
    ].join('\n');
    const m = parseProperties(text);
    assert.equal(m.size, 6);
    assert.equal(m.get('controller.quorum.voters'), '1@localhost:9093');
    assert.deepEqual([...m.keys()][0], 'process.roles');
  });

  it('reads files as UTF-8', () => {
    const dir = mkdtempSync(join(tmpdir(), 'props-'));
    const f = join(dir, 'server.properties');
    writeFileSync(f, 'name=café\n');
    assert.equal(readPropertiesFile(f).get('name'), 'café');
  });
});

describe('formatProperties', () => {
  it('writes a header and escapes separators', () => {
    const text = formatProperties({ 'a b': ' x=y:z#', version: '1' }, 'written by test');
    assert.ok(text.startsWith('#written by test\n'));
    assert.deepEqual(parse(text), { 'a b': ' x=y:z#', version: '1' });
  });

  it('round-trips arbitrary keys and values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), (dict) => {
        assert.deepEqual(parse(formatProperties(dict)), { ...dict });
      }),
      { numRuns: 300 },
    );
  });
});
