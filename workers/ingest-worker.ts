/**
 * The ingest worker entry: serves the ingest API (src/protocol/ingest-api.ts) with the handlers in
 * src/worker-handlers/ingest-handlers.ts over the IndexedDB ShardStore. Wiring only. The catalogue
 * (datasets-manifest.json) is bundled, so browsing it needs no network; pulls and the rater do.
 */
import manifest from '../datasets-manifest.json';
import { serveHandlers } from '../src/protocol/serve';
import type { IngestApi } from '../src/protocol/ingest-api';
import type { Endpoint } from '../src/protocol/wire';
import { createIngestHandlers } from '../src/worker-handlers/ingest-handlers';

serveHandlers<IngestApi>(self as unknown as Endpoint, createIngestHandlers({ manifest }));
