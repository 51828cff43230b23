/**
 * `webift export --format llamafactory` on the committed webift-tiny model: every YAML key is one of LLaMA-Factory's
 * argument names (lf-names.ts, with the sources read), dataset_info.json entries use its formatting/columns/tags, the
 * data rows render the prompt webift trains on through LLaMA-Factory's alpaca template (derived by hand from its
 * converter.py and template.py), chat models get sharegpt data and their LLaMA-Factory template, and every refusal
 * is one line with nothing written. The YAML is read back with PyYAML when python3 has it (LLaMA-Factory's own
 * reader), else with a strict reader of the flat subset.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { exportCommand } from '../../../src/node/commands/export';
import { UsageError } from '../../../src/node/errors';
import { exportLlamaFactory } from '../../../src/node/llamafactory/export-run';
import { toYaml, yamlNumber } from '../../../src/node/llamafactory/yaml';
import { formatAlpaca } from '../../../src/tokenizer/alpaca';
import { EMBEDDED_MODEL_DIR } from '../../helpers/fixtures';
import { webift } from '../../helpers/cli';
import { DATASET_COLUMNS, DATASET_INFO_KEYS, DATASET_TAGS, FORMATTINGS, YAML_ARGUMENTS } from './lf-names';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-lf-export-'));
const HAVE_PYYAML = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/** PyYAML's safe_load when available; else the flat subset: `key: scalar`, JSON-quoted strings, YAML 1.1 numbers. */
function readYaml(text: string): Record<string, unknown> {
  if (HAVE_PYYAML) {
    const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*): (.*)$/.exec(line);
    if (!m) throw new Error(`not a flat YAML line: ${line}`);
    const v = m[2];
    out[m[1]] = v.startsWith('"') ? JSON.parse(v) : v === 'true' ? true : v === 'false' ? false : v === 'null' ? null
      : /^[-+]?\d+$/.test(v) || /^[-+]?\d*\.\d*([eE][-+]\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

const INSTR = [
  { instruction: 'Add 2 and 3.', input: '', output: '5' },
  { instruction: 'Translate to French.', input: 'cat', output: 'chat' },
  ...Array.from({ length: 18 }, (_, i) => ({ instruction: `Say ${i}.`, input: '', output: `${i}` })),
];
const MSGS = [
  { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }] },
  { messages: [{ role: 'user', content: 'One?' }, { role: 'assistant', content: '1' }, { role: 'user', content: 'Two?' }, { role: 'assistant', content: '2' }] },
];

function jsonl(file: string, rows: unknown[]): string {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}
const readJsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** A model folder with webift-tiny's config and tokenizer plus a chat template (export reads no weights). */
function chatModel(name: string, chatTemplate: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json']) copyFileSync(path.join(EMBEDDED_MODEL_DIR, f), path.join(dir, f));
  const cfg = JSON.parse(readFileSync(path.join(EMBEDDED_MODEL_DIR, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...cfg, chat_template: chatTemplate }));
  return dir;
}
const CHATML = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}";

describe('the YAML writer', () => {
  it('writes floats PyYAML reads as floats and quotes strings YAML would read as something else', () => {
    // PyYAML's YAML 1.1 float needs a '.' and a signed exponent: 1e-8 alone would load as the string '1e-8'.
    expect([3e-4, 1e-8, 2e-5, 0.05, 1, 42, 0.999, 1.5e-7, 1e21].map(yamlNumber)).toEqual(['0.0003', '1.0e-8', '0.00002', '0.05', '1', '42', '0.999', '1.5e-7', '1.0e+21']);
    const text = toYaml([
      { key: 'a', value: 1e-8 }, { key: 'b', value: 'yes' }, { key: 'c', value: '1.0' }, { key: 'd', value: 'q_proj,v_proj' },
      { key: 'e', value: '/tmp/x y: z' }, { key: 'f', value: 'é "quoted" #not-a-comment' }, { key: 'g', value: null }, { key: 'h', value: true },
      { comment: 'a comment' }, { key: 'i', value: 'Qwen/Qwen2.5-0.5B' },
    ]);
    expect(readYaml(text)).toEqual({ a: 1e-8, b: 'yes', c: '1.0', d: 'q_proj,v_proj', e: '/tmp/x y: z', f: 'é "quoted" #not-a-comment', g: null, h: true, i: 'Qwen/Qwen2.5-0.5B' });
  });
});

describe('webift export --format llamafactory', () => {
  it('writes the run: YAML keys, dataset_info, data, DeepSpeed variant and README', async () => {
    const data = jsonl(path.join(tmp, 'instr.jsonl'), INSTR);
    const out = path.join(tmp, 'run1');
    // The command itself, in process (the CLI spawn below covers bin -> cli -> export): its flags, its JSON line.
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (printed.push(String(s)), true));
    try {
      expect(await exportCommand(['--format', 'llamafactory', '--model', EMBEDDED_MODEL_DIR, '--data', data, '--out', out, '--lora-r', '4', '--lora-alpha', '8',
        '--lora-target-modules', 'q_proj,k_proj,v_proj', '--lr', '3e-4', '--max-steps', '30', '--batch-size', '2', '--grad-accum', '4', '--cutoff-len', '128',
        '--warmup-steps', '10', '--eval-split', '4', '--eval-every', '10', '--checkpoint-every', '10', '--scheduler', 'cosine', '--seed', '7', '--json'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const summary = JSON.parse(printed.join('').trim().split('\n').pop()!);
    expect(summary).toMatchObject({ out, format: 'llamafactory', template: 'alpaca', datasets: { webift_alpaca: 20 }, val_size: 2 });

    const y = readYaml(readFileSync(path.join(out, 'train.yaml'), 'utf8'));
    for (const k of Object.keys(y)) expect(YAML_ARGUMENTS.has(k), `'${k}' is not a LLaMA-Factory argument`).toBe(true);
    expect(y).toEqual({
      model_name_or_path: path.resolve(EMBEDDED_MODEL_DIR), stage: 'sft', do_train: true, finetuning_type: 'lora', lora_rank: 4, lora_alpha: 8,
      lora_dropout: 0.05, lora_target: 'q_proj,k_proj,v_proj', dataset: 'webift_alpaca', dataset_dir: '.', template: 'alpaca', cutoff_len: 128,
      output_dir: 'output', logging_steps: 1, save_steps: 10, save_total_limit: 3, plot_loss: true, overwrite_output_dir: true, report_to: 'none',
      include_num_input_tokens_seen: true, per_device_train_batch_size: 2, gradient_accumulation_steps: 4, learning_rate: 3e-4, max_steps: 30,
      // webift caps warmup at ceil(10% of 30 steps) = 3 (schedule.ts effectiveWarmup); HF would not, so the YAML says 3.
      lr_scheduler_type: 'cosine', warmup_steps: 3, weight_decay: 0, adam_beta1: 0.9, adam_beta2: 0.999, adam_epsilon: 1e-8, max_grad_norm: 1, seed: 7, bf16: true,
      // --eval-split 4 on 20 records: webift holds out min(4, floor(20 / 10)) = 2 (commands/train.ts).
      val_size: 2, per_device_eval_batch_size: 2, do_eval: true, eval_strategy: 'steps', eval_steps: 10,
    });
    const ds = readYaml(readFileSync(path.join(out, 'train_deepspeed.yaml'), 'utf8'));
    for (const k of Object.keys(ds)) expect(YAML_ARGUMENTS.has(k), `'${k}' is not a LLaMA-Factory argument`).toBe(true);
    expect(ds).toEqual({ ...y, deepspeed: 'ds_z2_config.json' });
    const zero = JSON.parse(readFileSync(path.join(out, 'ds_z2_config.json'), 'utf8'));
    expect(zero.zero_optimization.stage).toBe(2);
    expect(zero.train_micro_batch_size_per_gpu).toBe('auto');

    const info = JSON.parse(readFileSync(path.join(out, 'dataset_info.json'), 'utf8'));
    expect(Object.keys(info)).toEqual(['webift_alpaca']);
    for (const e of Object.values(info) as Record<string, Record<string, string>>[]) {
      for (const k of Object.keys(e)) expect(DATASET_INFO_KEYS.has(k), k).toBe(true);
      for (const k of Object.keys(e.columns)) expect(DATASET_COLUMNS.has(k), k).toBe(true);
      expect(FORMATTINGS.has(e.formatting as unknown as string)).toBe(true);
    }
    expect(info.webift_alpaca).toEqual({ file_name: 'webift_alpaca.jsonl', formatting: 'alpaca', columns: { prompt: 'instruction', query: 'input', response: 'output', system: 'system' } });

    // LLaMA-Factory's alpaca converter makes the user turn "prompt\nquery" (query only when non-empty); its alpaca
    // template writes system + "### Instruction:\n" + user + "\n\n### Response:\n" before the response. That text must
    // be webift's alpaca-lora prompt for the same record, with and without input.
    const rows = readJsonl(path.join(out, 'webift_alpaca.jsonl'));
    expect(rows).toHaveLength(20);
    rows.forEach((row, i) => {
      const user = [row.instruction, row.input].filter(Boolean).join('\n');
      expect(`${row.system}### Instruction:\n${user}\n\n### Response:\n`).toBe(formatAlpaca(INSTR[i]).prompt);
      expect(row.output).toBe(INSTR[i].output);
    });

    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(readme).toContain('llamafactory-cli train train.yaml');
    for (const s of ['FORCE_TORCHRUN=1', 'NNODES=2', 'NODE_RANK=0', 'NODE_RANK=1', 'MASTER_ADDR=', 'MASTER_PORT=', 'train_deepspeed.yaml']) expect(readme).toContain(s);
  });

  it('takes the same --config file as train, and epochs, DoRA, rsLoRA, all-linear and int4 map to their arguments', async () => {
    const data = jsonl(path.join(tmp, 'instr2.jsonl'), INSTR);
    const config = path.join(tmp, 'exp.json');
    writeFileSync(config, JSON.stringify({ model: EMBEDDED_MODEL_DIR, data, peft: 'dora', loraTargetModules: 'all-linear', useRslora: true, epochs: 2, batchSize: 4, gradAccum: 1, evalSplit: 0, warmupSteps: 100, quantize: 'int4', scheduler: 'constant', trainOnInputs: true, packing: true }));
    const out = path.join(tmp, 'run2');
    const s = await exportLlamaFactory({ config: undefined, ...(await import('../../../src/node/train-flags')).trainOptions({ values: { config }, positionals: [] }) }, out, { quiet: true });
    const y = readYaml(readFileSync(path.join(out, 'train.yaml'), 'utf8'));
    for (const k of Object.keys(y)) expect(YAML_ARGUMENTS.has(k), `'${k}' is not a LLaMA-Factory argument`).toBe(true);
    expect(y).toMatchObject({ finetuning_type: 'lora', use_dora: true, use_rslora: true, lora_target: 'all', quantization_bit: 4, num_train_epochs: 2, lr_scheduler_type: 'constant_with_warmup', train_on_prompt: true, packing: true });
    // 20 records, batch 4, 2 epochs: 10 steps on one device, so warmup 100 is capped at ceil(0.1 * 10) = 1.
    expect(y.warmup_steps).toBe(1);
    expect(y).not.toHaveProperty('val_size');
    expect(y).not.toHaveProperty('max_steps');
    // all-linear on webift-tiny (llama, 4 layers, hidden 128, MLP 352): q,k,v,o (128 -> 128) and gate, up (128 -> 352),
    // down (352 -> 128); DoRA adds one magnitude per output feature. Per layer: r=8 * (4*256 + 3*480) + (4*128 + 2*352 + 128).
    expect(s.trainableParams).toBe(4 * (8 * (4 * 256 + 3 * 480) + (4 * 128 + 2 * 352 + 128)));
  });

  it('puts messages records in a sharegpt dataset with role/content tags and maps the chat template', async () => {
    const model = chatModel('chatml-model', CHATML);
    const data = jsonl(path.join(tmp, 'mixed.jsonl'), [INSTR[0], MSGS[0], INSTR[1], MSGS[1]]);
    const out = path.join(tmp, 'run3');
    const s = await exportLlamaFactory({ model, data, 'max-steps': '5' }, out, { quiet: true });
    expect(s.template).toBe('chatml');
    expect(s.warnings.join('\n')).toMatch(/2 instruction records go through 'chatml'/);
    const info = JSON.parse(readFileSync(path.join(out, 'dataset_info.json'), 'utf8'));
    expect(info.webift_sharegpt).toEqual({
      file_name: 'webift_sharegpt.jsonl', formatting: 'sharegpt', columns: { messages: 'messages' },
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' },
    });
    for (const k of Object.keys(info.webift_sharegpt.tags)) expect(DATASET_TAGS.has(k), k).toBe(true);
    // Under a chat template instruction records stay plain alpaca columns (no Alpaca header in system).
    expect(info.webift_alpaca.columns).toEqual({ prompt: 'instruction', query: 'input', response: 'output' });
    expect(readJsonl(path.join(out, 'webift_sharegpt.jsonl'))).toEqual(MSGS);
    expect(readJsonl(path.join(out, 'webift_alpaca.jsonl'))).toEqual([INSTR[0], INSTR[1]]);
    expect(readYaml(readFileSync(path.join(out, 'train.yaml'), 'utf8'))).toMatchObject({ dataset: 'webift_alpaca,webift_sharegpt', template: 'chatml' });
    // Recognised templates by family and markers; --template overrides with a LLaMA-Factory name.
    const llama3 = chatModel('llama3-model', "{{ '<|start_header_id|>' + messages[0]['role'] + '<|end_header_id|>' }}");
    expect((await exportLlamaFactory({ model: llama3, data, 'max-steps': '5' }, path.join(tmp, 'run4'), { quiet: true })).template).toBe('llama3');
    expect((await exportLlamaFactory({ model: llama3, data, 'max-steps': '5', template: 'default' }, path.join(tmp, 'run5'), { quiet: true })).template).toBe('default');
  });

  it('a hub model goes as model_name_or_path + model_revision (its config and tokenizer read through the hub)', async () => {
    // A local stand-in for the hub's /{repo}/resolve/{revision}/{file} route, serving webift-tiny's small files.
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(req.url ?? '');
      const m = /^\/acme\/tiny\/resolve\/abc123\/([\w.]+\.json)$/.exec(req.url ?? '');
      const file = m && path.join(EMBEDDED_MODEL_DIR, m[1]);
      if (!file || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const env = { WEBIFT_HUB_HOST: process.env.WEBIFT_HUB_HOST, WEBIFT_CACHE_DIR: process.env.WEBIFT_CACHE_DIR };
    Object.assign(process.env, { WEBIFT_HUB_HOST: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, WEBIFT_CACHE_DIR: path.join(tmp, 'hub-cache') });
    try {
      const out = path.join(tmp, 'run-hub');
      await exportLlamaFactory({ model: 'acme/tiny@abc123', data: jsonl(path.join(tmp, 'hub.jsonl'), INSTR), 'max-steps': '5' }, out, { quiet: true });
      expect(readYaml(readFileSync(path.join(out, 'train.yaml'), 'utf8'))).toMatchObject({ model_name_or_path: 'acme/tiny', model_revision: 'abc123' });
      expect(asked).toContain('/acme/tiny/resolve/abc123/config.json');
      expect(asked.some((u) => u.endsWith('.safetensors'))).toBe(false); // no weights are read
    } finally {
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      server.close();
    }
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ peft: 'ia3' }, /LLaMA-Factory cannot train IA3/],
    [{ peft: 'prompt' }, /LLaMA-Factory cannot train prompt tuning/],
    [{ peft: 'p-tuning' }, /LLaMA-Factory cannot train p-tuning/],
    [{ template: 'no-such' }, /--template 'no-such' is neither webift's/],
    [{ 'lora-target-modules': 'foo_proj' }, /target modules \["foo_proj"\] not found in the base model/],
    [{ data: 'MSGS' }, /has no chat template/],
    [{ data: 'BADTURNS', template: 'chatml' }, /line 1: message 1 is 'assistant' where LLaMA-Factory expects 'user'/],
  ])('%j is refused with one message and leaves --out as it was', async (extra, msg) => {
    const data = extra.data === 'MSGS' ? jsonl(path.join(tmp, 'msgs.jsonl'), MSGS)
      : extra.data === 'BADTURNS' ? jsonl(path.join(tmp, 'bad.jsonl'), [{ messages: [{ role: 'system', content: 's' }, { role: 'assistant', content: 'a' }] }])
        : jsonl(path.join(tmp, 'ok.jsonl'), INSTR);
    const out = path.join(tmp, `refused-${Math.random().toString(36).slice(2)}`);
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep.txt'), 'previous');
    const err = await exportLlamaFactory({ model: EMBEDDED_MODEL_DIR, ...extra, data }, out, { quiet: true }).then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err!.message.split('\n')).toHaveLength(1);
    expect(err!.message).toMatch(msg);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(readdirSync(tmp).filter((f) => f.startsWith(`.${path.basename(out)}.tmp`))).toEqual([]);
  });

  it('a refusal on the command line is exit 2 with one line on stderr', () => {
    const out = path.join(tmp, 'refused-cli');
    const r = webift(['export', '--format', 'llamafactory', '--model', EMBEDDED_MODEL_DIR, '--data', jsonl(path.join(tmp, 'ok2.jsonl'), INSTR), '--out', out, '--peft', 'ia3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^webift: error: LLaMA-Factory cannot train IA3/)]);
    expect(existsSync(out)).toBe(false);
  });
});
