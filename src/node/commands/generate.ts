/**
 * `webift generate --model ... (--prompt TEXT | --prompt-ids 1,2,3) [sampling flags] [--json]`: decodes with
 * HF semantics, streaming text to stdout as it comes. With --json it prints one object at the end:
 * {"ids": [generated ids], "text": "...", "prompt_ids": [...], "finish_reason": "eos|stop_string|length",
 *  "timing": {"first_token_s": prefill and the first token, "decode_tokens_per_s": the steps after the first, per
 *  second (null with fewer than two steps, and for beam search, which yields once)}}.
 */
import { generate } from '../../generate/generate';
import { adapterLinear, primeGeneration, type Adapter } from '../../peft';
import { readAdapterDir } from '../adapter-dir';
import { GenerationOptionsError } from '../../generate/options';
import { ADAPTER_FLAG, BACKEND_FLAG, bool, intList, JSON_FLAG, MODEL_FLAG, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { openModel } from '../runtime';
import { tokenizerFrom } from '../model-tokenizer';
import { SAMPLING_FLAGS, samplingOptions } from '../sampling-flags';
import { QUANT_FLAGS } from '../quant-flags';

export const GENERATE_FLAGS: FlagSpec = {
  model: MODEL_FLAG,
  prompt: { type: 'string', value: 'text', help: 'the prompt, tokenized with the model\'s tokenizer.json' },
  'prompt-ids': { type: 'string', value: 'ids', help: 'the prompt as comma-separated token ids, e.g. 1,2,3 (instead of --prompt)' },
  adapter: ADAPTER_FLAG,
  backend: BACKEND_FLAG, json: JSON_FLAG, ...SAMPLING_FLAGS, ...QUANT_FLAGS,
};

export async function generateCommand(argv: string[]): Promise<number> {
  const p = parse(argv, GENERATE_FLAGS);
  const json = bool(p, 'json');
  const text = str(p, 'prompt');
  const ids = intList(p, 'prompt-ids');
  if ((text === undefined) === (ids === undefined)) throw new UsageError('pass exactly one of --prompt TEXT or --prompt-ids 1,2,3');
  let options;
  try {
    options = samplingOptions(p);
  } catch (e) {
    throw e instanceof GenerationOptionsError ? new UsageError(e.message) : e;
  }
  const { model, source, announce } = await openModel(str(p, 'model', true), str(p, 'backend'), json, p.values);
  let adapter: Adapter | null = null;
  try {
    const tok = await tokenizerFrom(source);
    if (text !== undefined && !tok) throw new UsageError(`${source.label} has no tokenizer.json; use --prompt-ids`);
    const promptIds = ids ?? tok!.encode(text!, { addSpecialTokens: true });
    if (!promptIds.length) throw new UsageError('the prompt encodes to zero tokens');
    for (const id of promptIds) if (id >= model.config.vocabSize) throw new UsageError(`prompt id ${id} is outside the vocabulary (${model.config.vocabSize})`);
    announce();
    const decode = tok ? (g: number[]) => tok.decode(g, { skipSpecialTokens: true }) : undefined;
    const adapterDir = str(p, 'adapter');
    adapter = adapterDir ? await readAdapterDir(model, adapterDir) : null;
    const a = adapter;
    const hooks = a ? { linear: adapterLinear(a), prime: (B: number) => primeGeneration(model, a, B) } : {};
    const gen = generate(model, { ids: [promptIds] }, options, { decode, ...hooks });
    const t0 = performance.now();
    let r = await gen.next();
    const t1 = performance.now();
    let steps = 0;
    while (!r.done) {
      steps++;
      if (!json && r.value.textDelta[0]) process.stdout.write(r.value.textDelta[0]);
      r = await gen.next();
    }
    const res = r.value;
    // Tokens decoded after the first, one step each (beam search yields once, at the end: no rate)
    const after = steps > 1 ? steps - 1 : 0;
    const timing = { first_token_s: +((t1 - t0) / 1000).toFixed(3), decode_tokens_per_s: after > 0 ? +(after / ((performance.now() - t1) / 1000)).toFixed(2) : null };
    if (json) process.stdout.write(`${JSON.stringify({ ids: res.tokens[0], text: res.texts[0], prompt_ids: promptIds, finish_reason: res.finishReasons[0], timing })}\n`);
    else process.stdout.write(tok ? '\n' : `${res.tokens[0].join(',')}\n`);
  } catch (e) {
    throw e instanceof GenerationOptionsError ? new UsageError(e.message) : e;
  } finally {
    adapter?.dispose();
    model.dispose();
  }
  return 0;
}

export const command: Command = {
  name: 'generate',
  summary: 'generate text from a prompt (HF decoding: greedy, sampling, beam search), streamed to stdout',
  usage: '--model <dir|repo> (--prompt <text> | --prompt-ids <ids>) [flags]',
  flags: GENERATE_FLAGS,
  run: generateCommand,
};
