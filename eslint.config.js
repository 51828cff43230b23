// Lint: typescript-eslint recommended, plus the import arrows of ARCHITECTURE.md as per-folder
// `no-restricted-imports` rules. Each src/ folder lists the sibling folders it must NOT import at run time
// (type-only imports are allowed where noted); tfjs may be imported only by kernels/ and platform/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const FOLDERS = ['util', 'platform', 'kernels', 'model', 'quant', 'peft', 'tokenizer', 'data', 'train', 'generate', 'eval', 'experiment', 'protocol', 'ui', 'node', 'worker-handlers'];

// Which folders each folder may import (its own folder is always allowed).
// util/ is a leaf of plain helpers (no environment, no tfjs) that every folder may use.
const ALLOWED = {
  util: [],
  platform: ['util'],
  kernels: ['util', 'platform'],
  model: ['util', 'kernels', 'platform'],
  quant: ['util', 'kernels', 'platform'],
  peft: ['util', 'model', 'quant', 'kernels', 'platform'],
  tokenizer: ['util'],
  data: ['util', 'tokenizer', 'platform'],
  train: ['util', 'peft', 'model', 'quant', 'kernels', 'platform', 'data', 'tokenizer', 'generate'],
  generate: ['util', 'peft', 'model', 'kernels', 'platform', 'tokenizer'],
  eval: ['util', 'generate', 'data', 'peft', 'model', 'kernels', 'platform', 'tokenizer'],
  experiment: ['util', 'data', 'tokenizer'],
  protocol: ['util'],
  ui: ['util', 'protocol', 'experiment'],
  'worker-handlers': ['util', 'protocol', 'train', 'generate', 'eval', 'data', 'peft', 'model', 'quant', 'kernels', 'platform', 'tokenizer', 'experiment'],
  node: FOLDERS,
};

// Type-only imports from anywhere are fine for these (they describe shapes, not behaviour).
const TYPES_ANYWHERE = new Set(['data', 'protocol', 'ui', 'experiment']);

const TFJS = { group: ['@tensorflow/*'], message: 'Import tfjs through src/kernels/tf.ts (only kernels/ and platform/ touch tfjs).' };
const NODE = { group: ['node:*'], message: 'Node built-ins belong in src/node/ (or behind platform/).' };

function arrows(folder) {
  const banned = FOLDERS.filter((f) => f !== folder && !ALLOWED[folder].includes(f));
  const patterns = [];
  if (banned.length) {
    patterns.push({
      regex: `(^|/)\\.\\.(/\\.\\.)*/(${banned.join('|')})(/|$)`,
      message: `ARCHITECTURE.md: src/${folder}/ may import only ${ALLOWED[folder].join(', ') || 'nothing else in src'}.`,
      allowTypeImports: TYPES_ANYWHERE.has(folder) || folder === 'generate' || folder === 'train' || folder === 'eval',
    });
  }
  if (folder !== 'kernels' && folder !== 'platform') patterns.push(TFJS);
  if (folder !== 'node' && folder !== 'platform') patterns.push(NODE);
  return {
    files: [`src/${folder}/**/*.{ts,tsx}`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'dist-*/**', 'node_modules/**', 'test-results*/**', 'tmp/**', 'playwright-report/**', 'public/**', 'scratch.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...FOLDERS.map(arrows),
  { files: ['bin/**/*.mjs', 'eslint.config.js'], languageOptions: { globals: { process: 'readonly', URL: 'readonly' } } },
);
