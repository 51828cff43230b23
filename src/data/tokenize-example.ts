/**
 * One unified record -> {ids, labels} with HF label semantics: labels line up with ids (the loss shifts them), -100
 * marks a token that is not learned. Instruction records use the Alpaca template (alpaca.ts, 'alpaca-lora' style) or,
 * when asked, the chat template; messages records use the chat template, and only assistant turns are learned.
 * Cut-off and eos follow tloen/alpaca-lora finetune.py `tokenize(prompt, add_eos_token)` (@65fb822): see below.
 * Not handled: tools/system fields outside `messages`, templates that rewrite earlier turns (rejected, not guessed).
 */
import { formatAlpaca, type AlpacaStyle } from '../tokenizer/alpaca';
import { applyChatTemplate, ChatTemplateError, hasChatTemplate, NoChatTemplateError, type TemplateSource } from '../tokenizer/chat-template';
import { isMessagesRecord, type InstructionRecord, type Message, type Rejection, type UnifiedRecord } from './records';

export const IGNORE_INDEX = -100;

/** What tokenisation needs of a tokenizer; TextTokenizer (tokenizer.ts) is one. */
export interface ExampleTokenizer extends TemplateSource {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  readonly eosTokenId: number | null;
}

export interface TokenizeOptions {
  /** Max tokens per example, eos included. Default 256 (alpaca-lora's cutoff_len). */
  cutoffLen?: number;
  /** Learn the prompt / user turns too. Default false: only responses (+ eos) are learned. */
  trainOnInputs?: boolean;
  /** Instruction records: 'alpaca' (default, base models), 'chat' (the tokenizer's template), 'auto' (chat if any). */
  promptFormat?: 'alpaca' | 'chat' | 'auto';
  /** Default 'alpaca-lora' ("### Response:\n"). */
  alpacaStyle?: AlpacaStyle;
  /** Append eos after the response. Default true. */
  addEos?: boolean;
}

export interface TokenizedExample {
  ids: Int32Array;
  /** Same length as ids: the id where learned, -100 elsewhere. */
  labels: Int32Array;
  /** Tokens were cut at cutoffLen, or the eos did not fit. */
  truncated: boolean;
  /** The tokenizer merged across a prompt/response boundary, so segments were tokenized apart (see tokenizeSegments). */
  splitTokenized: boolean;
}

export interface Segment {
  text: string;
  /** Labels over this segment's tokens are the ids (true) or -100 (false). */
  learn: boolean;
  /** A response (Alpaca output, assistant turn): the eos rule looks at the last one. */
  response: boolean;
}

const startsWith = (a: number[], p: number[]) => p.length <= a.length && p.every((x, i) => a[i] === x);

/**
 * Tokenizes the concatenated segments and finds where each one's tokens start. Exact method: encode the full text
 * once, then encode each prefix (segments 0..i); when every prefix encoding is a prefix of the full encoding, the
 * boundaries are those lengths and the tokens are exactly the full text's. A tokenizer that merges across a boundary
 * (e.g. "...Response:" + "Hi" where ":H" is one token) fails the check; then each segment is encoded apart and the
 * ids concatenated (special tokens only on the first), so the boundary is exact but the response tokens can differ
 * from the full text's (e.g. sentencepiece's dummy-prefix '▁'). Cost: one encode per boundary, O(turns x length).
 */
export function tokenizeSegments(tok: ExampleTokenizer, segments: Segment[], addSpecialTokens: boolean): { ids: number[]; starts: number[]; exact: boolean } {
  const full = segments.map((s) => s.text).join('');
  const ids = tok.encode(full, { addSpecialTokens });
  const starts = [0];
  let prefix = '';
  for (let i = 0; i < segments.length - 1; i++) {
    prefix += segments[i].text;
    const p = tok.encode(prefix, { addSpecialTokens });
    if (!startsWith(ids, p) || p.length < starts[i]) return tokenizeApart(tok, segments, addSpecialTokens);
    starts.push(p.length);
  }
  return { ids, starts, exact: true };
}

function tokenizeApart(tok: ExampleTokenizer, segments: Segment[], addSpecialTokens: boolean) {
  const ids: number[] = [], starts: number[] = [];
  segments.forEach((s, i) => {
    starts.push(ids.length);
    ids.push(...tok.encode(s.text, { addSpecialTokens: addSpecialTokens && i === 0 }));
  });
  return { ids, starts, exact: false };
}

/**
 * Assistant spans by rendering the conversation prefix by prefix: for assistant message i, its text starts where
 * render(messages[:i], add_generation_prompt) ends and ends where render(messages[:i+1]) ends, and both renders must
 * be prefixes of render(messages). The span holds the template's end-of-turn markers (e.g. "<|im_end|>\n"), which
 * are learned with the content, so the model learns to stop. A template that is not prefix-stable is refused.
 */
export function chatSegments(tok: TemplateSource, messages: Message[], trainOnInputs: boolean): Segment[] {
  const full = applyChatTemplate(tok, messages);
  const segs: Segment[] = [];
  let pos = 0;
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const pre = applyChatTemplate(tok, messages.slice(0, i), { addGenerationPrompt: true });
    const upto = applyChatTemplate(tok, messages.slice(0, i + 1));
    const [start, end] = [pre.length, upto.length];
    if (!full.startsWith(pre) || !full.startsWith(upto) || start < pos || end < start) {
      throw new ChatTemplateError(`the chat template renders message ${i} differently in a prefix of the conversation than in the whole (not prefix-stable), so its assistant span cannot be found`);
    }
    segs.push({ text: full.slice(pos, start), learn: trainOnInputs, response: false });
    segs.push({ text: full.slice(start, end), learn: true, response: true });
    pos = end;
  });
  segs.push({ text: full.slice(pos), learn: trainOnInputs, response: false });
  return segs;
}

/**
 * An instruction record as a two-turn conversation: user "instruction\ninput", assistant output (LLaMA-Factory's
 * AlpacaDatasetConverter, src/llamafactory/data/converter.py @908cd68, joins prompt and query with "\n").
 */
export function instructionMessages(r: InstructionRecord): Message[] {
  return [
    { role: 'user', content: r.input ? `${r.instruction}\n${r.input}` : r.instruction },
    { role: 'assistant', content: r.output },
  ];
}

/**
 * Tokenizes one record. Truncation and eos, as alpaca-lora: the whole sequence is cut to cutoffLen; eos is appended
 * (and learned) only if the cut sequence is shorter than cutoffLen and does not already end with eos, so an example
 * that was cut, or fills cutoffLen exactly, has no eos (`truncated` is then true). For chat templates eos is also
 * skipped when the last assistant span already holds it (ChatML models whose eos is <|im_end|>), and when the
 * conversation does not end with an assistant turn. Chat renders are encoded without special tokens (templates write
 * their own bos, as transformers does); Alpaca text is encoded with them (Llama's <s>), as alpaca-lora does.
 */
export function tokenizeExample(record: UnifiedRecord, tok: ExampleTokenizer, opts: TokenizeOptions = {}): TokenizedExample {
  const cutoffLen = opts.cutoffLen ?? 256;
  if (!(Number.isInteger(cutoffLen) && cutoffLen >= 2)) throw new Error(`cutoffLen must be an integer >= 2, got ${cutoffLen}`);
  const eos = tok.eosTokenId;
  if (eos === null) throw new Error('the tokenizer has no eos token (tokenizer_config.json eos_token), so responses cannot be ended');
  const trainOnInputs = opts.trainOnInputs ?? false;
  const format = opts.promptFormat ?? 'alpaca';
  const chat = isMessagesRecord(record) || format === 'chat' || (format === 'auto' && hasChatTemplate(tok));

  let segments: Segment[];
  if (isMessagesRecord(record)) segments = chatSegments(tok, record.messages, trainOnInputs);
  else if (chat) segments = chatSegments(tok, instructionMessages(record), trainOnInputs);
  else {
    const a = formatAlpaca(record, opts.alpacaStyle ?? 'alpaca-lora');
    // As alpaca-lora: the prompt is what the template gives without the output; the separator (if any) is learned.
    segments = [
      { text: a.prompt, learn: trainOnInputs, response: false },
      { text: a.full.slice(a.prompt.length), learn: true, response: true },
    ];
  }
  segments = segments.filter((s) => s.text.length > 0);
  const { ids, starts, exact } = tokenizeSegments(tok, segments, !chat);

  const labels = new Array<number>(ids.length);
  segments.forEach((s, i) => {
    for (let t = starts[i]; t < (starts[i + 1] ?? ids.length); t++) labels[t] = s.learn ? ids[t] : IGNORE_INDEX;
  });

  const last = segments.length - 1;
  const lastSpan = ids.slice(starts[last]);
  const endsWithResponse = last >= 0 && segments[last].response;
  const hasEos = chat ? lastSpan.includes(eos) : ids[ids.length - 1] === eos;
  const wantEos = (opts.addEos ?? true) && endsWithResponse && !hasEos;

  const cutIds = ids.slice(0, cutoffLen), cutLabels = labels.slice(0, cutoffLen);
  let truncated = ids.length > cutoffLen;
  if (wantEos) {
    if (cutIds.length < cutoffLen) {
      cutIds.push(eos);
      cutLabels.push(eos);
    } else truncated = true;
  }
  return { ids: Int32Array.from(cutIds), labels: Int32Array.from(cutLabels), truncated, splitTokenized: !exact };
}

/** Targets the loss will see: labels at t >= 1 that are not -100 (position 0 is never predicted). */
export function learnedCount(labels: Int32Array): number {
  let n = 0;
  for (let t = 1; t < labels.length; t++) if (labels[t] !== IGNORE_INDEX) n++;
  return n;
}

/**
 * Tokenizes many records. A record the template refuses, or one left with nothing to learn (a prompt that fills
 * cutoffLen), is rejected with its reason, never dropped silently. `where` (e.g. ParsedRecords.where) names them.
 */
export function tokenizeRecords(records: UnifiedRecord[], tok: ExampleTokenizer, opts: TokenizeOptions & { where?: string[] } = {}): { examples: TokenizedExample[]; rejected: Rejection[] } {
  const examples: TokenizedExample[] = [];
  const rejected: Rejection[] = [];
  records.forEach((r, i) => {
    const where = opts.where?.[i] ?? `record ${i}`;
    let ex: TokenizedExample;
    try {
      ex = tokenizeExample(r, tok, opts);
    } catch (e) {
      if (e instanceof ChatTemplateError || e instanceof NoChatTemplateError) {
        rejected.push({ where, reason: (e as Error).message });
        return;
      }
      throw e;
    }
    if (learnedCount(ex.labels) === 0) {
      rejected.push({ where, reason: `the prompt fills cutoffLen (${opts.cutoffLen ?? 256} tokens): no response token is left to learn` });
    } else examples.push(ex);
  });
  return { examples, rejected };
}
