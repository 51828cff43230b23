/**
 * The built-in ChatGLM chat templates against THUDM's own prompt code, whose format strings are copied into the
 * expectations below by hand: ChatGLM-6B's chat() ("[Round {}]\n问：{}\n答：{}\n".format(i, q, a) per past turn with i
 * from 0, then "[Round {}]\n问：{}\n答：".format(len(history), query), or the bare query without history; the tokenizer
 * appends [gMASK] <sop>), ChatGLM2-6B's build_prompt ("[Round {}]\n\n问：{}\n\n答：{}\n\n".format(i + 1, q, a), then
 * "[Round {}]\n\n问：{}\n\n答：".format(len(history) + 1, query), after the [gMASK] sop prefix). Also: a ChatGLM
 * checkpoint whose tokenizer_config.json has no chat_template gets the built-in one through tokenizerFrom.
 */
import { describe, expect, it } from 'vitest';
import { applyChatTemplate, ChatTemplateError } from '../../src/tokenizer/chat-template';
import { CHATGLM2_TEMPLATE, CHATGLM6B_TEMPLATE, withBuiltinTemplate } from '../../src/tokenizer/glm-templates';
import { tokenizerFrom } from '../../src/node/model-tokenizer';
import { memSource } from '../helpers/mem-source';
import { tinyTokenizerJson } from './tiny-tokenizer';

const v1 = { chatTemplate: CHATGLM6B_TEMPLATE, eosToken: '<eop>' };
const v2 = { chatTemplate: CHATGLM2_TEMPLATE, eosToken: '</s>' };
const turns = [{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' }];

describe('ChatGLM chat templates', () => {
  it('ChatGLM-6B: the bare question without history; [Round i] from 0 with it; [gMASK]<sop> after the question, <eop> after the answer', () => {
    expect(applyChatTemplate(v1, turns.slice(0, 1), { addGenerationPrompt: true })).toBe('Q1[gMASK]<sop>');
    expect(applyChatTemplate(v1, turns, { addGenerationPrompt: true })).toBe('[Round 0]\n问：Q1\n答：A1\n[Round 1]\n问：Q2\n答：[gMASK]<sop>');
    expect(applyChatTemplate(v1, [...turns, { role: 'assistant', content: 'A2' }])).toBe('[Round 0]\n问：Q1\n答：A1\n[Round 1]\n问：Q2\n答：[gMASK]<sop>A2<eop>');
  });

  it('ChatGLM2-6B: [gMASK]sop, then [Round i] from 1 with blank lines; the answer ends with eos', () => {
    expect(applyChatTemplate(v2, turns.slice(0, 1), { addGenerationPrompt: true })).toBe('[gMASK]sop[Round 1]\n\n问：Q1\n\n答：');
    // The tokenizer's own docstring: build_prompt('Q3', [('Q1', 'A1'), ('Q2', 'A2')]).
    const three = [...turns, { role: 'assistant', content: 'A2' }, { role: 'user', content: 'Q3' }];
    expect(applyChatTemplate(v2, three, { addGenerationPrompt: true })).toBe('[gMASK]sop[Round 1]\n\n问：Q1\n\n答：A1\n\n[Round 2]\n\n问：Q2\n\n答：A2\n\n[Round 3]\n\n问：Q3\n\n答：');
    expect(applyChatTemplate(v2, turns.slice(0, 2))).toBe('[gMASK]sop[Round 1]\n\n问：Q1\n\n答：A1</s>');
  });

  it('refuses a system turn or turns that do not alternate', () => {
    for (const t of [v1, v2]) {
      expect(() => applyChatTemplate(t, [{ role: 'system', content: 'S' }, ...turns])).toThrow(ChatTemplateError);
      expect(() => applyChatTemplate(t, [turns[0], turns[0]])).toThrow(/alternate/);
    }
  });

  it('withBuiltinTemplate (the app workers\' path) adds the template only for ChatGLM configs without one', () => {
    expect(withBuiltinTemplate(null, 'chatglm')).toEqual({ chat_template: CHATGLM6B_TEMPLATE });
    expect(withBuiltinTemplate({ eos_token: '</s>' }, 'chatglm2')).toEqual({ eos_token: '</s>', chat_template: CHATGLM2_TEMPLATE });
    expect(withBuiltinTemplate({ chat_template: 'own' }, 'chatglm2')).toEqual({ chat_template: 'own' });
    expect(withBuiltinTemplate(null, 'llama')).toBeNull();
  });

  it('tokenizerFrom gives a ChatGLM checkpoint without a chat_template the built-in one, and leaves others alone', async () => {
    const tok = JSON.stringify(tinyTokenizerJson());
    const glm2 = JSON.stringify({ model_type: 'chatglm', padded_vocab_size: 64, hidden_size: 8, num_layers: 1, num_attention_heads: 2, kv_channels: 4, multi_query_attention: true, multi_query_group_num: 1, ffn_hidden_size: 16, layernorm_epsilon: 1e-5 });
    expect((await tokenizerFrom(memSource({ 'tokenizer.json': tok, 'config.json': glm2 })))!.chatTemplate).toBe(CHATGLM2_TEMPLATE);
    const own = JSON.stringify({ chat_template: '{{ messages[0].content }}' });
    expect((await tokenizerFrom(memSource({ 'tokenizer.json': tok, 'tokenizer_config.json': own, 'config.json': glm2 })))!.chatTemplate).toBe('{{ messages[0].content }}');
    expect((await tokenizerFrom(memSource({ 'tokenizer.json': tok, 'config.json': JSON.stringify({ model_type: 'llama' }) })))!.chatTemplate).toBeNull();
  });
});
