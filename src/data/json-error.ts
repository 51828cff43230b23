/**
 * Where a JSON text first breaks, as line and column, for error messages. V8's JSON.parse names the position for
 * some errors only ("Unexpected token '}', ... is not valid JSON" has none), so this scans the text once by the
 * RFC 8259 grammar, building nothing. Call it only after JSON.parse failed. Not handled: nesting deeper than the stack.
 */

/** Offset of the first syntax error in `text`, or -1 when it is valid JSON. */
export function jsonErrorOffset(text: string): number {
  const n = text.length;
  let i = 0;
  const stop = { at: 0 };
  const fail = (): never => {
    stop.at = i;
    throw stop;
  };
  const ws = () => {
    while (i < n && ' \t\n\r'.includes(text[i])) i++;
  };
  const str = () => {
    i++; // the opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail();
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = text[++i] ?? '';
      if (e === 'u') {
        i++;
        for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
      } else if (e !== '' && '"\\/bfnrt'.includes(e)) i++;
      else fail();
    }
    fail();
  };
  const digits = () => {
    const from = i;
    while (i < n && text[i] >= '0' && text[i] <= '9') i++;
    if (i === from) fail();
  };
  const num = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const container = (close: string, item: () => void) => {
    i++;
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === close) return void i++;
      else fail();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      return container('}', () => {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
      });
    }
    if (c === '[') return container(']', value);
    if (c === '"') return str();
    for (const w of ['true', 'false', 'null']) if (text.startsWith(w, i)) return void (i += w.length);
    num();
  };
  try {
    value();
    ws();
    if (i < n) fail();
    return -1;
  } catch (e) {
    if (e === stop) return stop.at;
    throw e;
  }
}

/** JSON.parse's message plus "(line L column C)" of the first error (1-based). */
export function describeJsonError(e: unknown, text: string): string {
  const msg = (e as Error).message;
  const at = jsonErrorOffset(text);
  if (at < 0) return msg;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return `${msg} (line ${line} column ${at - before.lastIndexOf('\n')})`;
}
