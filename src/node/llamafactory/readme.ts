/**
 * The README.md of an exported LLaMA-Factory run: how to start it on one GPU, on several GPUs of one machine and on
 * several machines (LLaMA-Factory's launcher reads FORCE_TORCHRUN, NNODES, NODE_RANK, MASTER_ADDR, MASTER_PORT and
 * NPROC_PER_NODE: src/llamafactory/launcher.py), and how to bring the adapter back into webift.
 */

export interface ReadmeInputs {
  model: string;
  template: string;
  datasets: { name: string; records: number; formatting: string }[];
  warnings: string[];
  outputDir: string;
  method: string;
}

export function exportReadme(r: ReadmeInputs): string {
  const data = r.datasets.map((d) => `- \`${d.name}\` (${d.formatting}): ${d.records} records`).join('\n');
  return `# LLaMA-Factory run exported by webift

Model \`${r.model}\`, ${r.method}, template \`${r.template}\`. Data (already mixed as webift mixes it, in order):

${data}
${r.warnings.length ? `\n${r.warnings.map((w) => `> ${w}`).join('\n')}\n` : ''}
Run every command from this folder (the YAML's \`dataset_dir\`, \`output_dir\` and \`deepspeed\` paths are relative).

\`\`\`sh
# one GPU
llamafactory-cli train train.yaml

# several GPUs on this machine, DeepSpeed ZeRO-2 (NPROC_PER_NODE=N picks how many)
FORCE_TORCHRUN=1 llamafactory-cli train train_deepspeed.yaml

# several machines: the same folder on each, NODE_RANK 0 on the machine at MASTER_ADDR, 1..NNODES-1 on the others
FORCE_TORCHRUN=1 NNODES=2 NODE_RANK=0 MASTER_ADDR=192.168.0.1 MASTER_PORT=29500 llamafactory-cli train train_deepspeed.yaml
FORCE_TORCHRUN=1 NNODES=2 NODE_RANK=1 MASTER_ADDR=192.168.0.1 MASTER_PORT=29500 llamafactory-cli train train_deepspeed.yaml
\`\`\`

- \`per_device_train_batch_size\` is per GPU: with N GPUs the effective batch is N times webift's. Divide
  \`gradient_accumulation_steps\` by N to keep it.
- A base model that does not fit one GPU: set \`"stage": 3\` in \`ds_z2_config.json\` (ZeRO-3 shards the weights too).
- \`bf16: true\` needs an Ampere or newer GPU; on older ones write \`bf16: false\` and \`fp16: true\`.

The adapter lands in \`${r.outputDir}/\` (PEFT's \`adapter_config.json\` + \`adapter_model.safetensors\`). Back in webift:

\`\`\`sh
npx webift generate --model ${r.model} --adapter ${r.outputDir} --prompt "..."
\`\`\`
`;
}
