/**
 * When a row stops (eos id, stop string, max new tokens, abort) and which of its text is safe to stream.
 * Stop strings are searched in the decoded generated text; the text is cut before the stop string (HF's
 * StopStringCriteria only stops and keeps it; the tokens here are kept as HF keeps them). Text that could
 * still be the start of a stop string, or ends in an incomplete UTF-8 character (U+FFFD), is held back.
 * Not handled: a decoder that rewrites already emitted text (the streamed deltas then lag; `text` stays right).
 */

export type FinishReason = 'eos' | 'stop_string' | 'length' | 'aborted';

export interface StopConfig {
  eosTokenIds: number[];
  stopStrings: string[];
  maxNewTokens: number;
  /** Token ids -> text; without it there is no text and stop strings are never found. */
  decode?: (ids: number[]) => string;
}

/** Index of the earliest occurrence of any stop string in `text`, or -1. */
export function findStop(text: string, stops: string[]): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** Length of the prefix of `text` that can be shown now: drops trailing U+FFFD and any tail that starts a stop string. */
export function safeLength(text: string, stops: string[]): number {
  let end = text.length;
  while (end > 0 && text[end - 1] === '\uFFFD') end--;
  const longest = stops.reduce((m, s) => Math.max(m, s.length), 0);
  for (let k = Math.min(longest - 1, end); k > 0; k--) {
    const tail = text.slice(end - k, end);
    if (stops.some((s) => s.startsWith(tail))) return end - k;
  }
  return end;
}

/** One row's generated tokens, its streamed text and its finish reason. */
export class RowStream {
  readonly tokens: number[] = [];
  /** Final text once finished; until then the text streamed so far. */
  text = '';
  reason: FinishReason | null = null;

  constructor(private readonly cfg: StopConfig) {}

  get finished(): boolean {
    return this.reason !== null;
  }

  /** Appends one generated token; returns the new text that became safe to show. */
  push(token: number): string {
    this.tokens.push(token);
    const isEos = this.cfg.eosTokenIds.includes(token);
    if (isEos) this.reason = 'eos';
    else if (this.tokens.length >= this.cfg.maxNewTokens) this.reason = 'length';
    if (!this.cfg.decode) return '';
    const full = this.cfg.decode(isEos ? this.tokens.slice(0, -1) : this.tokens);
    const at = findStop(full, this.cfg.stopStrings);
    if (at >= 0) {
      this.reason = 'stop_string';
      return this.emit(full.slice(0, at));
    }
    return this.emit(this.reason ? full : full.slice(0, safeLength(full, this.cfg.stopStrings)));
  }

  /** Appends a whole sequence at once (beam search); `ifOpen` is the reason when nothing else ended it. */
  pushAll(tokens: number[], ifOpen: FinishReason): string {
    let delta = '';
    for (const t of tokens) {
      if (this.finished) break;
      delta += this.push(t);
    }
    if (this.reason === null) this.reason = ifOpen;
    return delta + this.flush();
  }

  /** Ends the row early (abort) and returns the held-back text. */
  finish(reason: FinishReason): string {
    if (this.reason === null) this.reason = reason;
    return this.flush();
  }

  private flush(): string {
    if (!this.cfg.decode || this.reason === 'stop_string') return '';
    const eos = this.reason === 'eos' && this.cfg.eosTokenIds.includes(this.tokens[this.tokens.length - 1]);
    return this.emit(this.cfg.decode(eos ? this.tokens.slice(0, -1) : this.tokens));
  }

  private emit(upTo: string): string {
    const delta = upTo.startsWith(this.text) ? upTo.slice(this.text.length) : '';
    if (this.reason !== null || delta) this.text = upTo;
    return delta;
  }
}
