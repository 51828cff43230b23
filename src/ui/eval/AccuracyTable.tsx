/**
 * The accuracy table of a multiple-choice or exact-match run: one row per subject (items, correct, accuracy in %)
 * and the overall row (micro: every item counts once, as LLaMA-Factory's evaluation reports it).
 */
import { For } from 'solid-js';
import type { SubjectScore } from '../../protocol/eval-api';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function AccuracyTable(props: { result: { n: number; correct: number; accuracy: number; bySubject: Record<string, SubjectScore> } }) {
  const rows = () => Object.entries(props.result.bySubject).sort(([a], [b]) => a.localeCompare(b));
  return (
    <table class="eval-table" aria-label="Accuracy by subject">
      <thead>
        <tr><th scope="col">Subject</th><th scope="col">Items</th><th scope="col">Correct</th><th scope="col">Accuracy</th></tr>
      </thead>
      <tbody>
        <For each={rows()}>{([name, s]) => <tr><th scope="row">{name}</th><td>{s.n}</td><td>{s.correct}</td><td>{pct(s.accuracy)}</td></tr>}</For>
      </tbody>
      <tfoot>
        <tr><th scope="row">Overall</th><td>{props.result.n}</td><td>{props.result.correct}</td><td data-accuracy={props.result.accuracy}>{pct(props.result.accuracy)}</td></tr>
      </tfoot>
    </table>
  );
}
