/**
 * Setup file of vitest's 'lavapipe' project (vite.config.ts): the file's WebGPU runs on lavapipe. That project exists
 * only where lavapipe can run or is required, so a missing piece here is an error, not a skip.
 */
import { useLavapipe } from './lavapipe';

const why = useLavapipe();
if (why) throw new Error(`the lavapipe project cannot run: ${why}`);
