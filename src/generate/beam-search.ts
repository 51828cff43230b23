/**
 * Beam search as transformers 4.45.1 `_beam_search` + `BeamSearchScorer` (early_stopping=False): scores are
 * log_softmax -> processors -> + beam score; the top max(2, 1 + #eos) * numBeams candidates per prompt; eos
 * candidates ranked below numBeams are skipped, the others become finished hypotheses scored
 * sum_logprobs / generated_len ** lengthPenalty. generated_len excludes the prompt (HF passes
 * decoder_prompt_len = input_ids.shape[-1], so left padding counts as prompt) and includes the eos slot.
 * Not handled: beam sampling, beam groups, num_return_sequences > 1, early_stopping true / "never".
 */
import type { ResolvedGeneration } from './options';
import type { Stepper } from './step';
import { applyProcessors, buildProcessors } from './processors';
import { logSoftmax } from './sampler';

interface Hypothesis {
  score: number;
  /** Generated tokens (without the eos that ended it). */
  tokens: number[];
  endedWithEos: boolean;
}

/** HF BeamHypotheses: the numBeams best finished hypotheses of one prompt. */
class Hypotheses {
  beams: Hypothesis[] = [];
  worst = 1e9;
  constructor(private readonly n: number, private readonly lengthPenalty: number) {}

  add(tokens: number[], sumLogprobs: number, generatedLen: number, endedWithEos: boolean): void {
    const score = sumLogprobs / generatedLen ** this.lengthPenalty;
    if (this.beams.length < this.n || score > this.worst) {
      this.beams.push({ score, tokens, endedWithEos });
      if (this.beams.length > this.n) {
        // Python sorts (score, index) pairs: drop the lowest score, the earliest on ties.
        const order = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(order[0][1], 1);
        this.worst = order[1][0];
      } else this.worst = Math.min(score, this.worst);
    }
  }

  /** early_stopping=False: done when the best running beam, normalised at the current length, cannot beat the worst. */
  isDone(bestSumLogprobs: number, generatedLen: number): boolean {
    if (this.beams.length < this.n) return false;
    return this.worst >= bestSumLogprobs / generatedLen ** this.lengthPenalty;
  }

  /** sorted(key=score).pop(): the highest score, the latest added on ties. */
  best(): Hypothesis {
    let best = this.beams[0];
    for (const b of this.beams) if (b.score >= best.score) best = b;
    return best;
  }
}

export interface BeamSearchResult {
  /** Per prompt row: the best hypothesis' generated tokens, followed by eos if one ended it (HF writes eos[0]). */
  tokens: number[][];
  /** Per prompt row: its length-normalised score (HF sequence_scores). */
  scores: number[];
  endedWithEos: boolean[];
}

export interface BeamSearchHooks {
  signal?: AbortSignal;
  onLogits?: (step: number, logits: Float32Array) => void;
}

/** Top `k` flat indices of `a` by value, descending; lower index first on ties. */
function topIndices(a: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (top.length === k && !(a[i] > a[top[k - 1]])) continue;
    let j = top.length < k ? top.length : k - 1;
    while (j > 0 && a[i] > a[top[j - 1]]) j--;
    top.splice(j, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

/** Runs beam search for left-padded prompts `ids` / `mask` (B rows of S0). The stepper is not disposed here. */
export async function beamSearch(stepper: Stepper, ids: number[][], mask: number[][], o: ResolvedGeneration, hooks: BeamSearchHooks = {}): Promise<BeamSearchResult> {
  const B = ids.length, S0 = ids[0].length, nb = o.numBeams, N = B * nb;
  const eos = o.eosTokenIds;
  const procs = buildProcessors({ ...o, doSample: false });
  // HF _expand_inputs_for_generation: each prompt repeated numBeams times, consecutively.
  let seqs = Array.from({ length: N }, (_, r) => ids[Math.floor(r / nb)].slice());
  let masks = Array.from({ length: N }, (_, r) => mask[Math.floor(r / nb)].slice());
  // Only beam 0 is live at first, so the first step does not pick the same token numBeams times.
  let beamScores = Float32Array.from({ length: N }, (_, r) => (r % nb === 0 ? 0 : -1e9));
  const hyps = Array.from({ length: B }, () => new Hypotheses(nb, o.lengthPenalty));
  const done = new Array<boolean>(B).fill(false);
  const keep = Math.max(2, 1 + eos.length) * nb;

  for (let step = 0; step < o.maxNewTokens && !hooks.signal?.aborted; step++) {
    const S = S0 + step;
    const logits = await stepper.next(Int32Array.from(seqs.flat()), Int32Array.from(masks.flat()), N, S, step === 0 ? S0 : 1);
    const V = logits.length / N;
    hooks.onLogits?.(step, logits);
    const nextRows: number[] = [], nextTokens: number[] = [], nextScores: number[] = [];
    for (let b = 0; b < B; b++) {
      if (done[b]) {
        // HF pads a finished prompt's beams; they never reach the output.
        for (let j = 0; j < nb; j++) { nextRows.push(b * nb); nextTokens.push(o.padTokenId); nextScores.push(0); }
        continue;
      }
      const cand = new Float32Array(nb * V); // (nb, V) candidate scores of this prompt
      for (let j = 0; j < nb; j++) {
        const r = b * nb + j;
        const s = logSoftmax(logits.subarray(r * V, (r + 1) * V));
        applyProcessors(procs, s, { ids: seqs[r], promptLength: S0 });
        for (let v = 0; v < V; v++) cand[j * V + v] = s[v] + beamScores[r];
      }
      const top = topIndices(cand, keep);
      let filled = 0;
      for (let rank = 0; rank < top.length && filled < nb; rank++) {
        const r = b * nb + Math.floor(top[rank] / V), token = top[rank] % V, score = cand[top[rank]];
        if (eos.includes(token)) {
          if (rank < nb) hyps[b].add(seqs[r].slice(S0), score, S + 1 - S0, true);
        } else {
          nextRows.push(r); nextTokens.push(token); nextScores.push(score);
          filled++;
        }
      }
      if (filled < nb) throw new Error(`beam search: fewer than ${nb} non-eos candidates (every candidate is eos?)`);
      done[b] = hyps[b].isDone(cand[top[0]], S + 1 - S0);
    }
    seqs = nextRows.map((r, i) => [...seqs[r], nextTokens[i]]);
    masks = nextRows.map((r) => [...masks[r], 1]);
    beamScores = Float32Array.from(nextScores);
    if (done.every(Boolean)) break;
    if (step + 1 < o.maxNewTokens) stepper.selectRows(nextRows); // HF _reorder_cache
  }
  // HF finalize: every open beam of an unfinished prompt competes as a hypothesis of its full length.
  for (let b = 0; b < B; b++) {
    if (done[b]) continue;
    for (let j = 0; j < nb; j++) hyps[b].add(seqs[b * nb + j].slice(S0), beamScores[b * nb + j], seqs[b * nb + j].length - S0, false);
  }
  const best = hyps.map((h) => h.best());
  return {
    tokens: best.map((h) => (h.endedWithEos ? [...h.tokens, eos[0]] : h.tokens)),
    scores: best.map((h) => h.score),
    endedWithEos: best.map((h) => h.endedWithEos),
  };
}
