/**
 * The Evaluate screen: benchmarks (multiple choice, exact match, perplexity), batch prediction to JSON Lines, the
 * AlpaGasus pairwise judge with its win/tie/lose chart, and ablations with an exportable report. Every run goes to
 * the eval worker (its own copy of the model, so training and chat go on) with one progress line and "Stop
 * evaluation"; errors show as an ErrorNote. The worker starts on the first run, not at page load.
 */
import type { Controller } from './stores/controller';
import { createEvalEngine } from './stores/eval-engine';
import { startEvalWorker } from './eval-worker-handle';
import { ErrorNote } from './ErrorNote';
import { EvalProgressBar } from './eval/EvalProgressBar';
import { BenchmarkPanel } from './eval/BenchmarkPanel';
import { PredictPanel } from './eval/PredictPanel';
import { JudgePanel } from './eval/JudgePanel';
import { AblationPanel } from './eval/AblationPanel';
import { ingestClient } from './data/ingest-worker';
import './eval/eval.css';

export function EvaluateScreen(props: { ctl: Controller; active: () => boolean }) {
  const engine = createEvalEngine(props.ctl, startEvalWorker());
  return (
    <div class="evaluate-screen">
      <ErrorNote error={engine.error()} onDismiss={() => engine.setError(null)} />
      <EvalProgressBar engine={engine} />
      <BenchmarkPanel engine={engine} />
      <PredictPanel engine={engine} />
      <JudgePanel engine={engine} active={props.active} ingest={ingestClient} />
      <AblationPanel ctl={props.ctl} engine={engine} ingest={ingestClient} />
    </div>
  );
}
