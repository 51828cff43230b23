/**
 * The bench summary: JSON lines from bench/*.ts as one markdown table of what was measured against which peer.
 * Kernel lines give our time, tfjs's and the ratio; training and decode lines give tokens/s and the ratio to their
 * peer when the peer ran in the same run. Lines it does not know are listed as they are.
 * Usage: node --import ./bin/node-env.mjs scripts/bench-table.ts < tmp/bench/latest.jsonl
 */
type Row = Record<string, unknown>;

const num = (v: unknown) => (typeof v === 'number' ? String(v) : '–');

export function benchTable(rows: Row[]): string {
  const out = ['| bench | what | ours | peer | ratio (ours vs peer) | where |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    if (r.bench === 'kernel') {
      if (r.skipped) out.push(`| kernel ${r.kernel ?? '(all)'} on ${r.backend ?? ''} | ${r.skipped} | – | – | – | ${r.backend ?? ''} |`);
      else out.push(`| kernel ${r.kernel} on ${r.backend} | ${r.shape} | ${num(r.ours_ms)} ms | tfjs ${num(r.tfjs_ms)} ms | ${num(r.ratio_vs_tfjs)}× | ${r.device} |`);
    } else if (r.bench === 'train-lora' && !r.failed && !r.skipped) {
      out.push(`| train LoRA | ${r.layers} layers, b${r.batch}×${r.seq} | ${num(r.tokens_per_s)} tok/s | | | ${r.device} |`);
    } else if (r.bench === 'train-lora-ratio') {
      out.push(`| train LoRA ratio | ${r.layers} layers | | ${r.peer} | ${Object.entries(r).filter(([k]) => !['bench', 'peer', 'layers'].includes(k)).map(([k, v]) => `${k} ${v}`).join(', ')} | |`);
    } else if (r.bench === 'decode' && typeof r.ratio_vs_peer === 'number') {
      out.push(`| decode | ${r.model ?? 'SmolLM2-135M shape'} | ${num(r.ours_tokens_per_s)} tok/s | ${r.peer} ${num(r.peer_tokens_per_s)} tok/s | ${r.ratio_vs_peer}× | |`);
    } else if (r.bench === 'decode' && typeof r.tokens_per_s === 'number') {
      out.push(`| decode ${r.side} | ${r.new_tokens} new tokens after ${r.prompt_tokens} | ${num(r.tokens_per_s)} tok/s | | | ${r.device ?? r.runtime ?? ''}${r.threads ? `, ${r.threads} threads` : ''} |`);
    } else if (r.bench === 'real-model-train' && typeof r.tokens_per_s === 'number') {
      out.push(`| webift train | ${r.run}, b${r.batch}×${r.cutoff} | ${num(r.tokens_per_s)} tok/s, peak RSS ${num(r.peak_rss_mb)} MB (predicted ${num(r.predicted_rss_mb)}) | | | ${r.backend} |`);
    } else if (r.bench === 'real-model-decode' && typeof r.decode_tokens_per_s === 'number') {
      out.push(`| webift generate | ${r.run}, ${r.new_tokens} tokens after ${r.prompt_tokens} | ${num(r.decode_tokens_per_s)} tok/s (first token ${num(r.first_token_s)} s), peak RSS ${num(r.peak_rss_mb)} MB | | | ${r.backend} |`);
    } else if (r.bench === 'decode-context') {
      out.push(`| decode step, KV cache in the pool | ${r.model}, after ${r.context} tokens | ${num(r.pooled_ms)} ms | tensor cache ${num(r.tensors_ms)} ms | ${num(r.ratio_vs_tensors)}× (median of ${num(r.pairs)} pairs) | ${r.backend} |`);
    } else if (r.bench === 'chat-turn') {
      out.push(`| chat turn ${r.turn}, time to first token | ${r.model}, ${r.conversation_tokens} tokens, ${r.reused_tokens} reused | ${num(r.ttft_cached_s)} s | whole conversation fed ${num(r.ttft_full_s)} s | ${num(r.ratio_vs_full)}× | ${r.backend} |`);
    } else {
      const { bench, ...rest } = r;
      out.push(`| ${String(bench ?? '?')} | ${JSON.stringify(rest).slice(0, 160).replace(/\|/g, '/')} | | | | |`);
    }
  }
  return out.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await new Promise<string>((resolve) => {
    let s = '';
    process.stdin.on('data', (d) => (s += d));
    process.stdin.on('end', () => resolve(s));
  });
  process.stdout.write(benchTable(text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row)));
}
