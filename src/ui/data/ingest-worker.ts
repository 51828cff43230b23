/**
 * Starts the ingest worker (workers/ingest-worker.ts) on first use and keeps one client for the page: the Data
 * screen's catalogue, pulls, previews and the filter all go through it. Nothing starts at page load.
 */
import { createClient, type Client } from '../../protocol/client';
import type { IngestApi } from '../../protocol/ingest-api';

let client: Client<IngestApi> | null = null;

export function ingestClient(): Client<IngestApi> {
  client ??= createClient<IngestApi>(new Worker(new URL('../../../workers/ingest-worker.ts', import.meta.url), { type: 'module', name: 'webift-ingest' }));
  return client;
}
