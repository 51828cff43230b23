/**
 * Which LLaMA-Factory `template` renders an exported run's prompts. webift's CLI formats instruction records with the
 * Alpaca template and messages records with the tokenizer's chat template (tokenize-example.ts); LLaMA-Factory takes
 * one template per run, named in its src/llamafactory/data/template.py. The chat template is recognised by its
 * markers and the model family; one we do not recognise is an error that asks for --template, never a guess.
 */
import type { Family } from '../../model/config';

/** Every register_template(name=...) in hiyouga/LLaMA-Factory src/llamafactory/data/template.py @ff6d4d1 (v0.9.5-54). */
export const LLAMAFACTORY_TEMPLATES: readonly string[] = (
  'alpaca bailing bailing_v2 breeze chatglm3 chatml chatml_de cohere cpm4 dbrx deepseek deepseek3 deepseekr1 hy3 ' +
  'deepseekcoder default dots_ocr empty ernie ernie_nothink ernie_vl exaone falcon falcon_h1 fewshot gemma gemma2 gemma3 ' +
  'gemma3n gemma4 gemma4n glm4 glm4_moe glm4v glm4_5v glm_ocr glm4_7 glmz1 gpt_oss granite3 granite3_vision granite4 index ' +
  'hunyuan hunyuan_small hy_dense_1_8b hy_dense_7b intern2 intern_vl intern_s1 keye_vl kimi_vl lfm2 lfm2_vl llama2 ' +
  'llama2_zh llama3 llama4 mllama moonlight moss_vl llava llava_next llava_next_llama3 llava_next_mistral llava_next_qwen ' +
  'llava_next_yi llava_next_video llava_next_video_mistral llava_next_video_yi mimo mimo_v2 mimo_vl minicpm_v minicpm_v_4_6 ' +
  'minicpm_o minimax1 minimax2 ministral mistral mistral_small ministral3 olmo openchat openchat-3.6 opencoder paligemma ' +
  'paligemma_chat phi phi_small phi4 phi4_mini pixtral qwen qwen3 qwen3_nothink qwen2_audio qwen2_omni qwen3_omni ' +
  'qwen3_omni_nothink qwen2_vl qwen3_vl qwen3_vl_nothink qwen3_5 qwen3_5_nothink qwen3_6 sailor seed_coder seed_oss smollm ' +
  'smollm2 solar starchat telechat2 vicuna video_llava xuanyuan yi yi_vl youtu youtu_vl yuan zephyr aeva'
).split(' ');

/** webift's prompt-format names (experiment.ts promptFormat), accepted by --template beside LLaMA-Factory's names. */
export const WEBIFT_TEMPLATE_NAMES = ['auto', 'alpaca', 'chat'] as const;

export class TemplateMapError extends Error {
  override name = 'TemplateMapError';
}

/**
 * The LLaMA-Factory template equivalent to a model's Jinja chat template, or null when none is known. Checked
 * against the turn markers each LLaMA-Factory template writes (template.py): ChatML `<|im_start|>` (Qwen2 -> qwen,
 * whose default system prompt Qwen2.5's template also inserts; SmolLM2 -> smollm2; else chatml), Llama 3
 * `<|start_header_id|>`, Gemma `<start_of_turn>`, Phi-3 `<|user|>`/`<|end|>`, Llama 2 `[INST]`.
 */
export function templateForChat(chatTemplate: string, family: Family, modelName: string): string | null {
  if (chatTemplate.includes('<|im_start|>')) {
    if (family === 'qwen2') return 'qwen';
    if (/smollm2/i.test(modelName) || chatTemplate.includes('SmolLM')) return 'smollm2';
    return 'chatml';
  }
  if (chatTemplate.includes('<|start_header_id|>')) return 'llama3';
  if (chatTemplate.includes('<start_of_turn>')) return family === 'gemma2' ? 'gemma2' : 'gemma';
  if (chatTemplate.includes('<|user|>') && chatTemplate.includes('<|end|>')) return 'phi';
  if (chatTemplate.includes('[INST]')) return 'llama2';
  return null;
}

export interface TemplateChoice {
  /** The LLaMA-Factory template name. */
  name: string;
  /** Instruction records are rendered as webift's Alpaca prompt (the header goes in the `system` column). */
  alpacaPrompt: boolean;
  /** Lines for stderr: where LLaMA-Factory will format a record differently from `webift train`. */
  warnings: string[];
}

export interface TemplateInputs {
  /** --template: '' / 'auto', 'alpaca', 'chat' or a LLaMA-Factory template name. */
  asked: string | undefined;
  chatTemplate: string | null;
  family: Family;
  modelName: string;
  instructionRecords: number;
  messagesRecords: number;
}

function chatName(t: TemplateInputs): string {
  if (!t.chatTemplate) throw new TemplateMapError(`${t.modelName} has no chat template, so webift cannot format messages records for it; pass --template NAME (a LLaMA-Factory template) or use instruction records`);
  const name = templateForChat(t.chatTemplate, t.family, t.modelName);
  if (!name) throw new TemplateMapError(`no LLaMA-Factory template is known to match ${t.modelName}'s chat template; pass --template NAME (e.g. chatml, llama3, qwen, gemma; see LLaMA-Factory's data/template.py)`);
  return name;
}

/** Chooses the template for an export. Throws TemplateMapError with one clear line. */
export function chooseTemplate(t: TemplateInputs): TemplateChoice {
  const asked = t.asked ?? 'auto';
  if (asked === 'alpaca') return { name: 'alpaca', alpacaPrompt: true, warnings: [] };
  if (asked === 'chat') return { name: chatName(t), alpacaPrompt: false, warnings: [] };
  if (asked !== 'auto') {
    if (!LLAMAFACTORY_TEMPLATES.includes(asked)) throw new TemplateMapError(`--template '${asked}' is neither webift's (${WEBIFT_TEMPLATE_NAMES.join(', ')}) nor a LLaMA-Factory template name (e.g. alpaca, chatml, llama3, qwen, gemma)`);
    return { name: asked, alpacaPrompt: false, warnings: [] };
  }
  if (t.messagesRecords === 0) return { name: 'alpaca', alpacaPrompt: true, warnings: [] };
  const name = chatName(t);
  const warnings = t.instructionRecords > 0
    ? [`warning: LLaMA-Factory uses one template per run: the ${t.instructionRecords} instruction records go through '${name}' as a user turn, where webift train would use the Alpaca prompt`]
    : [];
  return { name, alpacaPrompt: false, warnings };
}
