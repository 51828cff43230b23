/**
 * The `webift` command line: dispatches to one module per command. Same model/generate code as the browser, on
 * Dawn WebGPU or wasm. Contract: --json prints machine-readable JSON on stdout; bad input exits 2 with one line.
 */
import { envVar } from '../platform/env';
import { UsageError, reportError } from './errors';

const HELP = `webift: instruction fine-tuning of LLMs, in the browser and here.

usage: webift <command> [flags]

commands:
  train     --model <dir|repo> --data FILE.json[l] --out DIR [--config experiment.json] [--peft lora|dora|ia3|prompt|prefix|full]
            [--lora-r 8 --lora-alpha 16 --lora-dropout 0.05 --lora-target-modules q_proj,v_proj|all-linear] [--lr 3e-4]
            [--epochs N | --max-steps N] [--batch-size 4] [--grad-accum N] [--cutoff-len 256] [--warmup-steps N]
            [--eval-split 0.05|N] [--seed S] [--resume] [--json]
  logits    --model <dir|repo> --inputs <file.json> --out <file.safetensors> [--adapter <dir>] [--json]
  generate  --model <dir|repo> (--prompt TEXT | --prompt-ids 1,2,3) [--adapter <dir>] [--max-new-tokens N] [--temperature T]
            [--top-p P] [--top-k K] [--repetition-penalty R] [--no-repeat-ngram-size N] [--num-beams N]
            [--seed S] [--stop STR] [--json]
  chat      --model <dir|repo> [sampling flags]        multi-turn in the terminal with the chat template
  convert   llama2c --checkpoint X.bin --tokenizer tok.bin --out DIR
  merge     --model <dir|repo> --adapter <dir> --out DIR          merged model folder (safe merge)
  export    --model <dir|repo> --adapter <dir> --format peft|gguf|merged --out PATH [--dtype f32|f16]
  data      list [--tag CN] | show <id> | convert --format <shape|auto> IN [--out OUT.jsonl] | mix <name|ids...> --out OUT.jsonl
            | pull <id> [--host URL] | filter --rater <url|local> IN --out OUT     (webift data --help)

common flags: --backend webgpu|wasm|cpu (default: the first that works), --json
model flags (train, generate, chat, logits): --quantize none|int8|int4 (a frozen base quantized at load, QLoRA style)
            [--group-size 64] [--quant-asym] [--quant-report FILE.json]
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  logits: async () => (await import('./commands/logits')).logitsCommand,
  generate: async () => (await import('./commands/generate')).generateCommand,
  chat: async () => (await import('./commands/chat')).chatCommand,
  convert: async () => (await import('./commands/convert')).convertCommand,
  train: async () => (await import('./commands/train')).trainCommand,
  merge: async () => (await import('./commands/merge')).mergeCommand,
  export: async () => (await import('./commands/export')).exportCommand,
  data: async () => (await import('./commands/data')).dataCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd ? 0 : 2;
  }
  try {
    const load = COMMANDS[cmd];
    if (!load) throw new UsageError(`unknown command '${cmd}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return await (await load())(rest);
  } catch (e) {
    return reportError(e, envVar('WEBIFT_DEBUG') === '1');
  }
}
