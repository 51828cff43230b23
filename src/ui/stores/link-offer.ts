/**
 * Opening a share link whose mix names stored sources: restored at once when this browser holds them all;
 * otherwise nothing is restored (the default experiment stays) and the page offers to pull the missing catalogue
 * entries, then restores the whole link. A kept set made elsewhere cannot be pulled, so that link is only explained.
 * All or nothing, like the link's validation. Not here: the pulling itself (the ingest store's pullEntry).
 */
import { createSignal } from 'solid-js';
import type { Experiment } from '../../experiment/experiment';
import type { UiError } from './run-state';
import { toUiError } from './errors';
import { missingMessage, missingStored, type MissingStored, type StoredClient } from './stored-sources';

export interface LinkOfferDeps {
  client: () => StoredClient;
  /** Validates and restores the whole experiment; a message when it refused (the controller's replaceExperiment). */
  replace(x: Experiment): string | null;
  /** Pulls one catalogue entry with the Data screen's progress; false when cancelled or failed (already said). */
  pull(id: string): Promise<boolean>;
  /** After a restore: load the model and read the mix again. */
  restored(): void;
  setError(e: UiError | null): void;
}

export interface PendingLink {
  x: Experiment;
  missing: MissingStored;
  /** What is missing, in one sentence. */
  message: string;
}

export function createLinkOffer(deps: LinkOfferDeps) {
  const [pending, setPending] = createSignal<PendingLink | null>(null);
  const [busy, setBusy] = createSignal(false);

  /** Restores the link's experiment now if its stored sources are all here; true when it did. */
  async function open(x: Experiment): Promise<boolean> {
    let missing: MissingStored;
    try {
      missing = await missingStored(x.data, deps.client);
    } catch (e) {
      deps.setError(toUiError(e, "The link's stored data could not be checked, so nothing was restored; the default experiment is loaded instead."));
      return false;
    }
    if (!missing.entries.length && !missing.sets.length) {
      const err = deps.replace(x);
      if (err) deps.setError({ message: `The link's experiment could not be restored (${err}). The default experiment is loaded instead.`, details: err });
      return !err;
    }
    setPending({ x, missing, message: missingMessage(missing) });
    return false;
  }

  /** Pulls every missing entry, then restores the link; on a failed or cancelled pull nothing is restored. */
  async function pullAndOpen(): Promise<boolean> {
    const p = pending();
    if (!p || p.missing.sets.length || busy()) return false;
    setBusy(true);
    try {
      for (const id of p.missing.entries) if (!(await deps.pull(id))) return false;
      const err = deps.replace(p.x);
      if (err) {
        deps.setError({ message: `The link's experiment could not be restored (${err}). The default experiment is kept.`, details: err });
        return false;
      }
      setPending(null);
      deps.restored();
      return true;
    } finally {
      setBusy(false);
    }
  }

  return { pending, busy, open, pullAndOpen, dismiss: () => setPending(null) };
}

export type LinkOffer = ReturnType<typeof createLinkOffer>;
