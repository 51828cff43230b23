/**
 * Terminal rendering of TrainEvents: a one-line progress bar (redrawn in place on a TTY, a line every few seconds
 * otherwise) with step, loss, lr, tokens/s and ETA; with --json, every event as one JSON line on stdout instead.
 */
import type { TrainEvent } from '../train/trainer';

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressPrinter(json: boolean, tty = process.stderr.isTTY === true): (e: TrainEvent) => void {
  let total = 0;
  let lastPrint = 0;
  let evalLoss: number | null = null;
  return (e) => {
    if (json) {
      process.stdout.write(`${JSON.stringify(e)}\n`);
      return;
    }
    if (e.kind === 'start') {
      total = e.totalSteps;
      process.stderr.write(`training ${e.trainableParams.toLocaleString('en')} parameters for ${total} steps${e.resumedFrom ? ` (resumed from ${e.resumedFrom})` : ''}\n`);
    } else if (e.kind === 'eval') {
      evalLoss = e.evalLoss;
    } else if (e.kind === 'step') {
      const width = 24, done = total ? Math.min(width, Math.round((e.step / total) * width)) : 0;
      const line = `step ${e.step}/${total} [${'='.repeat(done)}${' '.repeat(width - done)}] loss ${e.loss.toFixed(4)}${evalLoss !== null ? ` eval ${evalLoss.toFixed(4)}` : ''} lr ${e.lr.toExponential(2)} ${e.tokensPerSec.toFixed(1)} tok/s ETA ${duration(e.etaSeconds)}`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else if (Date.now() - lastPrint > 5000 || e.step === total) {
        process.stderr.write(`${line}\n`);
        lastPrint = Date.now();
      }
    } else if (e.kind === 'error') {
      if (tty) process.stderr.write('\n');
    } else if (e.kind === 'done' && tty) {
      process.stderr.write('\n');
    }
  };
}
