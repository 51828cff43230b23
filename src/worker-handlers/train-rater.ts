/**
 * serveRater: the AlpaGasus rater on this tab's model (eval/local-rater.ts: greedy, a few tokens, the score on the
 * first line) served on a MessagePort to the ingest worker's filter, until the page aborts the call. The prompt is
 * cut from the left to fit the model's context. The base model rates (no adapter); a tiny model rates poorly.
 * Not handled: rating while training runs (refused: both would share one model between steps).
 */
import { localRater } from '../eval/local-rater';
import type { RaterPortApi } from '../protocol/ingest-api';
import { serveHandlers, type HandlerContext } from '../protocol/serve';
import type { Endpoint } from '../protocol/wire';
import { needModel, needTokenizer, userError, type Session } from './session';

/** Tokens generated per rating: the score line ("4.5") and a little of the explanation. */
const NEW_TOKENS = 12;

export async function serveRater(session: Session, p: { port: MessagePort }, ctx: HandlerContext<{ label: string }>): Promise<null> {
  await session.backend;
  const { model } = needModel(session);
  const tok = needTokenizer(session);
  const max = model.config.maxPositions;
  const rater = localRater({
    model, tokenizer: tok, label: `this tab's model (${session.source?.label ?? 'loaded model'})`, maxNewTokens: NEW_TOKENS,
    maxPromptTokens: max ? Math.max(8, max - NEW_TOKENS) : undefined,
  });
  const stop = serveHandlers<RaterPortApi>(p.port as unknown as Endpoint, {
    label: () => rater.label,
    rate: (q, c) => {
      if (session.stop) throw userError('Training is running: stop it to rate with this tab\'s model (both use the same model).');
      return rater.rate(q.prompts, c.signal);
    },
  });
  p.port.start();
  ctx.progress({ label: rater.label });
  await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
  stop();
  p.port.close();
  return null;
}
