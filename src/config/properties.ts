/**
 * Java `.properties` format (java.util.Properties#load semantics), used for server.properties,
 * meta.properties and client --command-config files.
 *
 * - Natural lines end in \n, \r or \r\n. Leading whitespace (space, tab, form feed) is skipped.
 * - A line whose first non-whitespace character is `#` or `!` is a comment (comments never continue).
 * - A line ending in an odd number of backslashes continues on the next line; the continuation's
 *   leading whitespace is dropped.
 * - The key ends at the first unescaped `=`, `:` or whitespace; whitespace, then at most one `=`/`:`,
 *   then whitespace separate it from the value.
 * - Escapes in keys and values: \t \n \r \f, \uXXXX, and `\c` -> `c` for any other character.
 *
 * Files are read as UTF-8 (Java's load(InputStream) uses ISO-8859-1; UTF-8 is a superset for ASCII
 * files and what users actually write). A leading byte order mark is ignored. Later keys win.
 */
import { readFileSync } from 'node:fs';

export class PropertiesSyntaxError extends Error {
  override name = 'PropertiesSyntaxError';
}

const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';

/** Parses properties text into an ordered map (insertion order of first occurrence, last value wins). */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    let line = stripLeading(lines[i]!);
    i++;
    if (line.length === 0 || line[0] === '#' || line[0] === '!') continue;
    // Join continuation lines.
    while (endsWithOddBackslashes(line)) {
      line = line.slice(0, -1);
      if (i >= lines.length) break;
      line += stripLeading(lines[i]!);
      i++;
    }
    const [key, value] = splitKeyValue(line, startLine);
    result.set(key, value);
  }
  return result;
}

/** Reads and parses a properties file (UTF-8). */
export function readPropertiesFile(path: string): Map<string, string> {
  return parseProperties(readFileSync(path, 'utf8'));
}

/** Serialises entries so that parseProperties() returns them unchanged. Non-ASCII is written as-is (UTF-8). */
export function formatProperties(
  entries: Iterable<[string, string]> | Record<string, string>,
  header?: string,
): string {
  const list: Iterable<[string, string]> = Symbol.iterator in entries ? entries : Object.entries(entries);
  let out = '';
  if (header !== undefined) {
    for (const h of header.split(/\r\n|\r|\n/)) out += `#${h}\n`;
  }
  for (const [k, v] of list) out += `${escapeText(k, true)}=${escapeText(v, false)}\n`;
  return out;
}

function escapeText(s: string, isKey: boolean): string {
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j]!;
    switch (c) {
      case '\\':
        out += '\\\\';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${c}`;
        break;
      case ' ':
        // Spaces separate keys; in values only a leading space would be lost.
        out += isKey || j === 0 ? '\\ ' : ' ';
        break;
      default: {
        const code = c.charCodeAt(0);
        out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return out;
}

function stripLeading(s: string): string {
  let j = 0;
  while (j < s.length && isWhitespace(s[j]!)) j++;
  return j === 0 ? s : s.slice(j);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function splitKeyValue(line: string, lineNo: number): [string, string] {
  let j = 0;
  let keyEnd = line.length;
  while (j < line.length) {
    const c = line[j]!;
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === '=' || c === ':' || isWhitespace(c)) {
      keyEnd = j;
      break;
    }
    j++;
  }
  let v = keyEnd;
  while (v < line.length && isWhitespace(line[v]!)) v++;
  if (v < line.length && (line[v] === '=' || line[v] === ':')) v++;
  while (v < line.length && isWhitespace(line[v]!)) v++;
  return [unescapeText(line.slice(0, keyEnd), lineNo), unescapeText(line.slice(v), lineNo)];
}

function unescapeText(s: string, lineNo: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    j++;
    if (j >= s.length) break; // a lone trailing backslash (only at end of file) is dropped, as in Java
    const e = s[j]!;
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = s.slice(j + 1, j + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new PropertiesSyntaxError(`Malformed \\uxxxx encoding on line ${lineNo}: '\\u${hex}'`);
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        j += 4;
        break;
      }
      default:
        out += e;
    }
  }
  return out;
}
