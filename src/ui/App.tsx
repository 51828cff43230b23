/**
 * The shell: header with the backend line, and the screens. Placeholder until the web-app issue lands.
 */
export function App() {
  return (
    <main>
      <h1>webift</h1>
      <p>Instruction fine-tuning of real LLMs in a browser tab.</p>
    </main>
  );
}
