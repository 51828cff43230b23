/**
 * The committed GEMM module (src/kernels/gemm/gemm-wasm.ts) is what scripts/build-gemm-wasm.sh makes from gemm.c:
 * rebuilt here byte for byte when clang and wasm-ld are installed (Debian's clang + lld); where they are not, the
 * test says so and is skipped. It also refuses a module that would use the shadow stack (the script's own check).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const haveClang = spawnSync('sh', ['-c', 'command -v clang && command -v wasm-ld && command -v llvm-objdump']).status === 0;
if (!haveClang) console.log('[gemm-build] skipped: clang, wasm-ld or llvm-objdump not installed (apt-get install clang lld)');

describe.skipIf(!haveClang)('gemm wasm build', () => {
  it('rebuilding gemm.c gives the committed module', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gemm-'));
    try {
      const out = path.join(dir, 'gemm-wasm.ts');
      execFileSync(path.join(root, 'scripts/build-gemm-wasm.sh'), [out], { stdio: 'pipe' });
      const b64 = (f: string) => /'([A-Za-z0-9+/=]+)'/.exec(readFileSync(f, 'utf8'))![1];
      expect(b64(out)).toBe(b64(path.join(root, 'src/kernels/gemm/gemm-wasm.ts')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
