/**
 * Target selection as peft 0.13's check_target_module_exists (suffix after '.', exact path, full-match regex,
 * layers_to_transform, all-linear) and the typed configs (PEFT defaults, adapter_config.json text, refusals with
 * clear errors). Pure: model configs only, no tensors, no fixtures.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/model/config';
import {
  ia3Config, loraConfig, parsePeftConfig, peftConfigJson, PeftConfigError, prefixTuningConfig, promptTuningConfig,
} from '../../src/peft/config';
import { allLinearNames, isFeedforward, resolveTargetModules, selectModules, targetMatches, DEFAULT_LORA_TARGETS } from '../../src/peft/targets';

const llama = parseConfig({ model_type: 'llama', vocab_size: 320, hidden_size: 64, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, rms_norm_eps: 1e-6, tie_word_embeddings: false });
const gpt2 = parseConfig({ model_type: 'gpt2', vocab_size: 320, n_embd: 64, n_layer: 2, n_head: 4, n_positions: 128, layer_norm_epsilon: 1e-5 });
const phi3 = parseConfig({ model_type: 'phi3', vocab_size: 320, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, rms_norm_eps: 1e-5 });
const names = (cfg: typeof llama, t: string[] | string, f = {}) => selectModules(cfg, t, f).map((m) => m.hf);

describe('target selection (check_target_module_exists)', () => {
  it('a list entry matches the exact path or a suffix after a dot', () => {
    expect(targetMatches(['q_proj'], 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(targetMatches(['self_attn.q_proj'], 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(targetMatches(['_proj'], 'model.layers.0.self_attn.q_proj')).toBe(false);
    expect(targetMatches(['model.layers.0.self_attn.q_proj'], 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(names(gpt2, ['c_proj'])).toEqual(['transformer.h.0.attn.c_proj', 'transformer.h.1.attn.c_proj', 'transformer.h.0.mlp.c_proj', 'transformer.h.1.mlp.c_proj']);
    expect(names(gpt2, ['attn.c_proj'])).toEqual(['transformer.h.0.attn.c_proj', 'transformer.h.1.attn.c_proj']);
  });

  it('a string is a full-match regex', () => {
    expect(names(llama, String.raw`model\.layers\.[01]\.self_attn\.(q|v)_proj`)).toEqual([
      'model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.v_proj',
    ]);
    expect(targetMatches('q_proj', 'model.layers.0.self_attn.q_proj')).toBe(false); // not a search
    expect(targetMatches('.*q_proj', 'model.layers.0.self_attn.q_proj')).toBe(true);
  });

  it('layers_to_transform (+ layers_pattern) filters suffix matches by layer index', () => {
    expect(names(llama, ['q_proj', 'o_proj'], { layers_to_transform: [2] })).toEqual(['model.layers.2.self_attn.q_proj', 'model.layers.2.self_attn.o_proj']);
    expect(names(llama, ['q_proj'], { layers_to_transform: 1, layers_pattern: 'layers' })).toEqual(['model.layers.1.self_attn.q_proj']);
    expect(() => names(llama, ['q_proj'], { layers_to_transform: [1], layers_pattern: 'blocks' })).toThrow(PeftConfigError);
    expect(names(gpt2, ['c_attn'], { layers_to_transform: [0] })).toEqual(['transformer.h.0.attn.c_attn']);
  });

  it('all-linear is every linear but the lm_head, saved as their last path components', () => {
    expect(allLinearNames(llama)).toEqual(['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
    expect(allLinearNames(gpt2)).toEqual(['c_attn', 'c_fc', 'c_proj']);
    expect(allLinearNames(phi3)).toEqual(['down_proj', 'gate_up_proj', 'o_proj', 'qkv_proj']);
    const t = resolveTargetModules(llama, 'all-linear', undefined);
    expect(names(llama, t).length).toBe(7 * 3);
    expect(names(llama, t).some((n) => n.includes('lm_head'))).toBe(false);
  });

  it('null targets take PEFT\'s family default; phi3 has none', () => {
    expect(resolveTargetModules(llama, null, DEFAULT_LORA_TARGETS.llama)).toEqual(['q_proj', 'v_proj']);
    expect(() => resolveTargetModules(phi3, null, DEFAULT_LORA_TARGETS.phi3)).toThrow(/please specify target_modules/);
  });

  it('nothing matched is an error that lists the model\'s linear modules', () => {
    expect(() => names(llama, ['query_key_value'])).toThrow(/not found in the base model \(llama linear modules: down_proj, gate_proj/);
  });

  it('IA3 feed-forward test is a plain endswith', () => {
    expect(isFeedforward(['down_proj'], 'model.layers.0.mlp.down_proj')).toBe(true);
    expect(isFeedforward(['proj'], 'model.layers.0.mlp.down_proj')).toBe(true);
    expect(isFeedforward([], 'model.layers.0.mlp.down_proj')).toBe(false);
  });
});

describe('PEFT configs', () => {
  it('PEFT 0.13 defaults', () => {
    const c = loraConfig();
    expect([c.r, c.lora_alpha, c.lora_dropout, c.bias, c.use_rslora, c.use_dora, c.init_lora_weights, c.target_modules]).toEqual([8, 8, 0, 'none', false, false, true, null]);
    expect(ia3Config().init_ia3_weights).toBe(true);
    expect(prefixTuningConfig({ num_virtual_tokens: 4 }).prefix_projection).toBe(false);
  });

  it('adapter_config.json: sorted keys, inference_mode true, round trip through parsePeftConfig', () => {
    const c = loraConfig({ r: 16, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'] });
    const text = peftConfigJson(c);
    const keys = Object.keys(JSON.parse(text));
    expect(keys).toEqual([...keys].sort());
    expect(JSON.parse(text).inference_mode).toBe(true);
    expect(keys).toEqual(['alpha_pattern', 'auto_mapping', 'base_model_name_or_path', 'bias', 'fan_in_fan_out', 'inference_mode', 'init_lora_weights', 'layer_replication', 'layers_pattern', 'layers_to_transform', 'loftq_config', 'lora_alpha', 'lora_dropout', 'megatron_config', 'megatron_core', 'modules_to_save', 'peft_type', 'r', 'rank_pattern', 'revision', 'target_modules', 'task_type', 'use_dora', 'use_rslora']);
    expect(parsePeftConfig(JSON.parse(text))).toEqual({ ...c, inference_mode: true });
  });

  it('refuses what is not implemented, naming the field', () => {
    expect(() => loraConfig({ bias: 'all' as 'none' })).toThrow(/bias 'all' is not supported/);
    expect(() => loraConfig({ r: 0 })).toThrow(/r must be a positive integer/);
    expect(() => loraConfig({ lora_dropout: 1 })).toThrow(/lora_dropout must be in \[0, 1\)/);
    expect(() => loraConfig({ init_lora_weights: 'pissa' as 'gaussian' })).toThrow(/init_lora_weights 'pissa' is not supported/);
    expect(() => loraConfig({ modules_to_save: ['lm_head'] as unknown as null })).toThrow(/modules_to_save/);
    expect(() => loraConfig({ target_modules: 'q_proj', layers_to_transform: [0] })).toThrow(/layers_to_transform cannot be used when target_modules is a str/);
    expect(() => loraConfig({ target_modules: '(' })).toThrow(/not a valid regular expression/);
    expect(() => prefixTuningConfig({ num_virtual_tokens: 4, prefix_projection: true as false })).toThrow(/prefix_projection=true/);
    expect(() => promptTuningConfig({})).toThrow(/num_virtual_tokens is required/);
    expect(() => ia3Config({ target_modules: ['k_proj'], feedforward_modules: ['down_proj'] })).toThrow(/feedforward_modules should be a subset of target_modules/);
    expect(() => parsePeftConfig({ peft_type: 'LORA', task_type: 'SEQ_CLS' })).toThrow(/task_type 'SEQ_CLS'/);
    expect(() => parsePeftConfig({ peft_type: 'LORA', use_qalora: true })).toThrow(/'use_qalora' = true is not supported/);
  });
});
