/**
 * Chat templates (Jinja, for chat-template.ts) that write a conversation as THUDM's own code formats it, for the
 * ChatGLM tokenizers whose tokenizer_config.json carries none (ChatGLM3-6B ships its own and keeps it):
 * - ChatGLM-6B, `ChatGLMForConditionalGeneration.chat()`: a single question is sent as is; with history each past
 *   turn is "[Round i]\n问：{q}\n答：{a}\n" (i from 0) and the question "[Round n]\n问：{q}\n答：". The tokenizer then
 *   appends [gMASK] and <sop> (build_inputs_with_special_tokens), and a training answer ends with <eop> (eos).
 * - ChatGLM2-6B, `ChatGLMTokenizer.build_prompt()`: always "[Round i]\n\n问：{q}\n\n答：{a}\n\n" (i from 1) and
 *   "[Round n]\n\n问：{q}\n\n答："; the tokenizer prepends [gMASK] sop (get_prefix_tokens); its fine-tuning script
 *   (ptuning/main.py) appends the answer and eos.
 * The templates write those special tokens themselves, as templates write bos (encode with addSpecialTokens: false).
 * No system role: neither model has one. Roles must alternate user / assistant, starting with the user.
 */
const ALTERNATE = `{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}{{ raise_exception('ChatGLM conversations alternate user / assistant turns, starting with the user (no system role)') }}{%- endif -%}`;
/** Index of the last user turn: the question; an assistant turn after it is the answer being trained on. */
const LAST_USER = `{%- set q = (messages | length) - 1 if messages[(messages | length) - 1]['role'] == 'user' else (messages | length) - 2 -%}`;

export const CHATGLM6B_TEMPLATE =
  LAST_USER +
  `{%- for message in messages -%}${ALTERNATE}` +
  `{%- if message['role'] == 'user' -%}` +
  `{%- if q == 0 -%}{{ message['content'] }}{%- else -%}{{ '[Round ' ~ (loop.index0 // 2) ~ ']\\n问：' ~ message['content'] ~ '\\n答：' }}{%- endif -%}` +
  `{%- if loop.index0 == q -%}{{ '[gMASK]<sop>' }}{%- endif -%}` +
  `{%- elif loop.index0 > q -%}{{ message['content'] ~ '<eop>' }}` +
  `{%- else -%}{{ message['content'] ~ '\\n' }}{%- endif -%}` +
  `{%- endfor -%}`;

export const CHATGLM2_TEMPLATE =
  LAST_USER +
  `{{ '[gMASK]sop' }}{%- for message in messages -%}${ALTERNATE}` +
  `{%- if message['role'] == 'user' -%}{{ '[Round ' ~ (loop.index0 // 2 + 1) ~ ']\\n\\n问：' ~ message['content'] ~ '\\n\\n答：' }}` +
  `{%- elif loop.index0 > q -%}{{ message['content'] ~ eos_token }}` +
  `{%- else -%}{{ message['content'] ~ '\\n\\n' }}{%- endif -%}` +
  `{%- endfor -%}`;

/** The built-in template for a model family (model/config.ts Family) whose tokenizers ship none, else null. */
export function builtinChatTemplate(family: string): string | null {
  return family === 'chatglm' ? CHATGLM6B_TEMPLATE : family === 'chatglm2' ? CHATGLM2_TEMPLATE : null;
}

/** tokenizer_config.json (parsed, or null) with the family's built-in template added when it has no chat_template. */
export function withBuiltinTemplate(config: Record<string, unknown> | null, family: string): Record<string, unknown> | null {
  const t = builtinChatTemplate(family);
  return t && !config?.chat_template ? { ...(config ?? {}), chat_template: t } : config;
}
