/**
 * Chat templates rendered with @huggingface/jinja against hand-written expected strings: a ChatML template (Qwen2 /
 * SmolLM2 style) and a Llama-2-chat style template that uses bos_token, eos_token, slicing, loop.index0 and
 * raise_exception. Also the no-template error that sends callers to the Alpaca format.
 */
import { describe, expect, it } from 'vitest';
import { ChatTemplateError, NoChatTemplateError, applyChatTemplate, hasChatTemplate, type ChatMessage } from '../../src/tokenizer/chat-template';
import { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { IM_END, IM_START, TINY_CONFIG, tinyTokenizerJson } from './tiny-tokenizer';

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const LLAMA2_CHAT =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}" +
  '{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}' +
  '{% for message in loop_messages %}' +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
  "{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const CONVO: ChatMessage[] = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello! How can I help?' },
  { role: 'user', content: 'Add 2 and 3.' },
];

describe('applyChatTemplate', () => {
  it('renders ChatML, with and without the generation prompt', () => {
    const src = { chatTemplate: CHATML };
    const body =
      '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n' +
      '<|im_start|>assistant\nHello! How can I help?<|im_end|>\n<|im_start|>user\nAdd 2 and 3.<|im_end|>\n';
    expect(applyChatTemplate(src, CONVO)).toBe(body);
    expect(applyChatTemplate(src, CONVO, { addGenerationPrompt: true })).toBe(body + '<|im_start|>assistant\n');
  });

  it('renders a Llama-2-chat template with bos/eos variables and a system block', () => {
    const src = { chatTemplate: LLAMA2_CHAT, bosToken: '<s>', eosToken: '</s>' };
    expect(applyChatTemplate(src, CONVO)).toBe(
      '<s>[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi [/INST] Hello! How can I help? </s><s>[INST] Add 2 and 3. [/INST]',
    );
  });

  it('turns raise_exception into a ChatTemplateError carrying the template message', () => {
    const src = { chatTemplate: LLAMA2_CHAT, bosToken: '<s>', eosToken: '</s>' };
    const bad = [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }];
    expect(() => applyChatTemplate(src, bad)).toThrow(ChatTemplateError);
    expect(() => applyChatTemplate(src, bad)).toThrow(/Conversation roles must alternate/);
  });

  it('reports a template that does not parse', () => {
    expect(() => applyChatTemplate({ chatTemplate: '{% for m in messages %}' }, CONVO)).toThrow(ChatTemplateError);
  });

  it('throws NoChatTemplateError for a tokenizer without a template', () => {
    const tok = new TextTokenizer(tinyTokenizerJson(), TINY_CONFIG);
    expect(hasChatTemplate(tok)).toBe(false);
    expect(() => applyChatTemplate(tok, CONVO)).toThrow(NoChatTemplateError);
    expect(() => applyChatTemplate(tok, CONVO)).toThrow(/Alpaca/);
  });

  it('takes the template from tokenizer_config.json (string or named list) and encodes the result', () => {
    for (const chat_template of [CHATML, [{ name: 'tool_use', template: 'x' }, { name: 'default', template: CHATML }]]) {
      const tok = new TextTokenizer(tinyTokenizerJson(), { ...TINY_CONFIG, chat_template });
      expect(hasChatTemplate(tok)).toBe(true);
      const text = applyChatTemplate(tok, [{ role: 'hello', content: 'world' }]);
      expect(text).toBe('<|im_start|>hello\nworld<|im_end|>\n');
      // The rendered text carries its own markers: encode without the post-processor's bos.
      expect(tok.encode(text, { addSpecialTokens: false })).toEqual([IM_START, 15, 0, 8, 17, 19, IM_END, 3, 0]); // '\n' has no byte piece here: <unk>
    }
  });
});
