/**
 * A strict JSON parser for safetensors headers, which come from untrusted files. Unlike
 * JSON.parse it reports duplicate keys (which JSON.parse silently collapses, letting one
 * tensor entry hide another), keeps object key order exactly (a Map, so numeric-looking
 * tensor names are not reordered), and bounds nesting depth so hostile input cannot exhaust
 * the stack. Errors carry the character position.
 *
 * Speed: an SDXL LoRA header is ~300 kB and 3000 entries. A linear structural scan (depth,
 * key count of every object) plus the engine's native JSON.parse does a valid header in a few
 * ms; only a header that fails any check goes through the character-by-character parser
 * below, which names the exact problem and position.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

export class JsonHeaderError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 64;

export function parseJsonStrict(text: string): JsonValue {
  const fast = parseJsonFast(text);
  if (fast !== NOT_FAST) return toMaps(fast);
  // Not valid, duplicate keys, too deep, or numeric keys whose order JSON.parse would change:
  // the slow parser keeps the order, or finds the first problem and throws a JsonHeaderError
  // that names it.
  return parseJsonSlow(text);
}

/** What parseJsonFast returns when the text needs the slow parser. */
export const NOT_FAST: unique symbol = Symbol('not-fast');

/**
 * JSON.parse's value for `text` (plain objects and arrays) when that value is exactly what the
 * strict parser would give: valid JSON, at most MAX_DEPTH deep, no key repeated within an
 * object, and object keys in document order (no array-index keys, which JavaScript objects
 * list first). Otherwise NOT_FAST.
 */
export function parseJsonFast(text: string): unknown {
  const counts = countObjectKeys(text);
  if (!counts) return NOT_FAST;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NOT_FAST;
  }
  return sameKeys(value, counts, { next: 0 }) ? value : NOT_FAST;
}

const isWhitespace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * How many key tokens each object has, in order of the opening braces; undefined when the
 * text is nested deeper than MAX_DEPTH. JSON.parse keeps only the last of repeated keys, so a
 * count above the parsed object's key count reveals a duplicate. Linear in the text and safe
 * on any input: on text that is not JSON the counts are meaningless, but JSON.parse then
 * refuses the text anyway.
 */
function countObjectKeys(text: string): number[] | undefined {
  const counts: number[] = [];
  // The index into counts of each open object, -1 for an open array.
  const stack: number[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: one not preceded by an odd run of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return counts;
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      const top = stack[stack.length - 1];
      if (top !== undefined && top >= 0) {
        let k = j + 1;
        while (k < n && isWhitespace(text.charCodeAt(k))) k++;
        if (text.charCodeAt(k) === 0x3a) counts[top] = (counts[top] as number) + 1;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (stack.length >= MAX_DEPTH) return undefined;
      if (c === 0x7b) {
        stack.push(counts.length);
        counts.push(0);
      } else stack.push(-1);
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    }
  }
  return counts;
}

/** An array index key ("0", "17"): JavaScript objects list these first, in numeric order. */
function isIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 0x30 && c <= 0x39 && /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/** Walks the parsed value in document order, checking each object's key count and key kinds. */
function sameKeys(value: unknown, counts: number[], cursor: { next: number }): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (const v of value) if (!sameKeys(v, counts, cursor)) return false;
    return true;
  }
  const keys = Object.keys(value);
  if (counts[cursor.next++] !== keys.length) return false;
  const record = value as Record<string, unknown>;
  for (const key of keys) {
    if (isIndexKey(key) || !sameKeys(record[key], counts, cursor)) return false;
  }
  return true;
}

/** Plain JSON.parse output to JsonValue (objects as Maps, in the order JSON.parse kept). */
function toMaps(value: unknown): JsonValue {
  if (value === null || typeof value !== 'object') return value as JsonValue;
  if (Array.isArray(value)) return value.map(toMaps);
  const map: JsonObject = new Map();
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) map.set(key, toMaps(v));
  return map;
}

/** The character-by-character parser: exact error messages and positions. */
function parseJsonSlow(text: string): JsonValue {
  let pos = 0;
  const fail = (message: string): never => {
    throw new JsonHeaderError(`${message} at character ${pos}`, pos);
  };
  const skipWhitespace = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        pos += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(pos, pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            pos -= 2;
            fail('bad escape in string');
        }
        start = pos;
        continue;
      }
      pos++;
    }
  };
  const parseNumber = (): number => {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = pos;
    const r = m.exec(text);
    if (!r || r[0].length === 0 || r[0] === '-') fail('bad number');
    pos += (r as RegExpExecArray)[0].length;
    return Number((r as RegExpExecArray)[0]);
  };
  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipWhitespace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const map: JsonObject = new Map();
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return map;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail('expected a key string');
        const keyPos = pos;
        const key = parseString();
        if (map.has(key)) {
          pos = keyPos;
          fail(`duplicate key "${key.slice(0, 200)}"`);
        }
        skipWhitespace();
        if (text[pos] !== ':') fail('expected ":"');
        pos++;
        map.set(key, parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return map;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const list: JsonValue[] = [];
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return list;
      }
      for (;;) {
        list.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return list;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return parseNumber();
    return fail(c === undefined ? 'unexpected end of header' : `unexpected character ${JSON.stringify(c)}`);
  };
  const value = parseValue(0);
  skipWhitespace();
  if (pos !== text.length) fail('text after the end of the JSON value');
  return value;
}
