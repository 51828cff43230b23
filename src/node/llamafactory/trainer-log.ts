/**
 * LLaMA-Factory's progress file, `trainer_log.jsonl` in output_dir, as webift TrainEvents. Its LogCallback.on_log
 * (src/llamafactory/train/callbacks.py) appends one JSON object per HF log: current_steps, total_steps, loss,
 * eval_loss, lr, epoch, percentage, elapsed_time and remaining_time (Python timedelta strings), throughput (tokens/s)
 * and total_tokens with include_num_input_tokens_seen, vram_allocated (GiB) with RECORD_VRAM=1; absent values are
 * left out. It does not log the gradient norm, so step events carry gradNorm NaN (null in JSON), and memoryBytes is
 * NaN unless VRAM is recorded.
 */
import type { TrainEvent, TrainSummary } from '../../train/trainer';

export interface TrainerLogRecord {
  current_steps?: number;
  total_steps?: number;
  loss?: number;
  eval_loss?: number;
  lr?: number;
  epoch?: number;
  remaining_time?: string;
  throughput?: number;
  total_tokens?: number;
  vram_allocated?: number;
}

/** Python's str(timedelta): "0:01:05", "1 day, 2:03:04", "3 days, 0:00:10" -> seconds; NaN when unreadable. */
export function timedeltaSeconds(s: string | undefined): number {
  const m = /^(?:(\d+) days?, )?(\d+):(\d\d):(\d\d)(?:\.\d+)?$/.exec(s?.trim() ?? '');
  if (!m) return Number.NaN;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A stateful mapper: feed it each record in file order; it returns the events that record means. */
export function trainerLogMapper(trainableParams: number, clock: () => number = Date.now) {
  const started = clock();
  let startSent = false, total = 0, step = 0, finalLoss: number | null = null, finalEval: number | null = null, tokens = 0;
  const map = (raw: TrainerLogRecord): TrainEvent[] => {
    const out: TrainEvent[] = [];
    const cur = num(raw.current_steps), tot = num(raw.total_steps);
    if (tot !== undefined) total = tot;
    if (!startSent && tot !== undefined) {
      startSent = true;
      out.push({ kind: 'start', step: 0, totalSteps: tot, trainableParams, resumedFrom: null });
    }
    if (cur !== undefined) step = cur;
    if (num(raw.total_tokens) !== undefined) tokens = raw.total_tokens!;
    const loss = num(raw.loss);
    if (loss !== undefined) {
      finalLoss = loss;
      const vram = num(raw.vram_allocated);
      out.push({
        kind: 'step', step, epoch: num(raw.epoch) ?? 0, loss, lr: num(raw.lr) ?? Number.NaN, gradNorm: Number.NaN,
        tokensPerSec: num(raw.throughput) ?? Number.NaN, etaSeconds: timedeltaSeconds(raw.remaining_time),
        memoryBytes: vram !== undefined ? vram * 2 ** 30 : Number.NaN,
      });
    }
    const evalLoss = num(raw.eval_loss);
    if (evalLoss !== undefined) {
      finalEval = evalLoss;
      out.push({ kind: 'eval', step, evalLoss });
    }
    return out;
  };
  const summary = (status: TrainSummary['status'], lastCheckpoint: string | null): TrainSummary => ({
    status, steps: step, totalSteps: total, finalLoss, finalEvalLoss: finalEval, tokens, seconds: (clock() - started) / 1000, lastCheckpoint,
  });
  return { map, summary };
}

/** Splits appended text into complete JSON lines; returns the records and the unfinished tail to keep. */
export function takeLines(buffer: string): { records: TrainerLogRecord[]; rest: string } {
  const end = buffer.lastIndexOf('\n');
  if (end < 0) return { records: [], rest: buffer };
  const records: TrainerLogRecord[] = [];
  for (const line of buffer.slice(0, end).split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object') records.push(v as TrainerLogRecord);
    } catch {
      // a line LLaMA-Factory did not write as JSON: not progress, skip it
    }
  }
  return { records, rest: buffer.slice(end + 1) };
}
