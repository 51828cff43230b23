/**
 * The one interface for an LLM asked for a verdict: a batch of {system, user} chat prompts in, the model's raw
 * answers out, in order. The AlpaGasus data filter (filter.ts) rates single records with it and the pairwise judge
 * (eval/judge-pairwise.ts) scores two assistants with it. Backends: an OpenAI-compatible endpoint
 * (rater-openai.ts), this process's / tab's webift model (eval/local-rater.ts) and a transformers.js ONNX model
 * (eval/judge-transformers.ts). Parsing the answer is the caller's business, so every backend stays a plain LLM call.
 */

/** One chat request: a system message and a user message. */
export interface JudgePrompt {
  system: string;
  user: string;
}

export interface Judge {
  /** For messages and result files: 'gpt-4o-mini @ https://api.openai.com/v1', 'local:models/x', 'hf:owner/name'. */
  label: string;
  /** One raw answer per prompt, in order; rejects with signal.reason once `signal` aborts. */
  rate(prompts: JudgePrompt[], signal?: AbortSignal): Promise<string[]>;
  /** Frees what the backend holds (a loaded model); absent when there is nothing to free. */
  dispose?(): Promise<void> | void;
}
