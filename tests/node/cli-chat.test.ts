/**
 * `webift chat --json` on the embedded model, turns piped on stdin: one JSON line per reply with the contract's keys,
 * /reset clearing the history, and `reused_prompt_tokens`: the prompt tokens the turn took from the previous turn's
 * keys and values (generate/prompt-cache.ts). The tiny model has no chat template, so its prompts are Alpaca's, whose
 * shared start is the preamble.
 */
import { describe, expect, it } from 'vitest';
import { webift } from '../helpers/cli';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

describe('webift chat --json', () => {
  it('answers each line, reuses the shared prompt prefix, and /reset starts over', () => {
    const r = webift(['chat', '--model', EMBEDDED_MODEL_DIR, '--json', '--max-new-tokens', '6'], { WEBIFT_BACKEND: 'wasm' }, 'Name a fruit.\nName another.\n/reset\nName a fruit.\n');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(Object.keys(l).sort()).toEqual(['content', 'finish_reason', 'ids', 'reused_prompt_tokens', 'role']);
    expect(lines[0].reused_prompt_tokens).toBe(0);
    expect(lines[1].reused_prompt_tokens).toBeGreaterThan(0); // the Alpaca preamble
    // After /reset the first question again: the kept cache (the second turn's prompt and reply) shares the preamble
    // only, so the reply must equal the first one.
    expect(lines[2].content).toBe(lines[0].content);
    expect(lines[2].ids).toEqual(lines[0].ids);
  });
});
