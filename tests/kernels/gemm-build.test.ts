/**
 * The committed GEMM modules (src/kernels/gemm/gemm-wasm.ts) and heap module (src/kernels/heap/heap-wasm.ts) are what
 * scripts/build-gemm-wasm.sh makes from gemm.c and heap.c:
 * rebuilt here byte for byte when clang-19 and wasm-ld-19 are installed (Debian bookworm's clang-19 and lld-19);
 * where they are not, the test says so and is skipped. It also refuses a module that would use the shadow stack (the script's own check).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const haveClang = spawnSync('sh', ['-c', 'command -v clang-19 && command -v wasm-ld-19 && command -v llvm-objdump-19']).status === 0;
if (!haveClang) console.log('[gemm-build] skipped: clang-19, wasm-ld-19 or llvm-objdump-19 not installed (apt-get install clang-19 lld-19)');

describe.skipIf(!haveClang)('gemm wasm build', () => {
  it('rebuilding gemm.c and heap.c gives the committed modules', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gemm-'));
    try {
      const out = path.join(dir, 'gemm-wasm.ts'), heap = path.join(dir, 'heap-wasm.ts');
      execFileSync(path.join(root, 'scripts/build-gemm-wasm.sh'), [out, heap], { stdio: 'pipe' });
      const b64 = (f: string) => [...readFileSync(f, 'utf8').matchAll(/'([A-Za-z0-9+/=]+)'/g)].map((m) => m[1]);
      const mine = b64(out);
      expect(mine).toHaveLength(2); // the SIMD128 module and the fused multiply-add one
      expect(mine).toEqual(b64(path.join(root, 'src/kernels/gemm/gemm-wasm.ts')));
      expect(b64(heap)).toHaveLength(1);
      expect(b64(heap)).toEqual(b64(path.join(root, 'src/kernels/heap/heap-wasm.ts')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
