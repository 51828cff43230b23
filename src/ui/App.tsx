/**
 * The shell: a header with the name, one sentence on what this is, and the backend line; then the screens.
 * Gets the model client from main.tsx and never touches tensors. Not here yet: the experiment card, "Start
 * training", "Export adapter" and "Copy share link" (the web-app issue).
 */
import { BackendLine } from './BackendLine';
import { createBackendStatus } from './backend-status';
import type { ModelClient } from './model-client';
import { Screens } from './Screens';

export function App(props: { client: ModelClient }) {
  const status = createBackendStatus(props.client);
  return (
    <div class="app">
      <header class="app-header">
        <div class="brand">
          <h1>webift</h1>
          <p class="tagline">Instruction fine-tuning of real LLMs, in this browser tab.</p>
        </div>
        <BackendLine status={status} />
      </header>
      <main>
        <Screens />
      </main>
    </div>
  );
}
