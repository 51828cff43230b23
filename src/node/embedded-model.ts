/**
 * Where the embedded default model lives on disk: public/models/webift-tiny in the repo (made by
 * `npm run pretrain-tiny`), which the app serves as /models/webift-tiny/. Commands that default to it read it here.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EMBEDDED_MODEL_ID = 'webift-tiny';
export const EMBEDDED_MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/models', EMBEDDED_MODEL_ID);
