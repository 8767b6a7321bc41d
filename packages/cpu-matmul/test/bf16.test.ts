import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  TiledSpace,
  applyHostConfig,
  bf16DotKernel,
  emitKernelC,
  hostRules,
  measureKernels,
  regimeOf,
  tiledSchedule,
  validateSchedule,
  type HostModel,
  type KernelSpec,
  type MatmulShape,
} from "../src/index.js";
import { RUN_HOST, TEST_HOST } from "./helpers.js";

const cache = mkdtempSync(join(tmpdir(), "kpu-cpu-bf16-"));
afterAll(() => {
  rmSync(cache, { recursive: true, force: true });
});
const quick = { threads: 2, minRuns: 1, minWindowMs: 0, warmup: 0, maxAttempts: 1, cacheDir: cache, timeoutMs: 60_000 };

/**
 * This machine described as an AVX-512 host with the bf16 dot product: the code generator emits the k-pair kernel,
 * which the compiler builds with `vdpbf16ps` where it has AVX512-BF16 and with its float32 emulation elsewhere, so the
 * pair layout (packing, odd K, edge tiles) is checked on any machine.
 */
const DOT_HOST: HostModel = applyHostConfig(RUN_HOST, { isa: "avx512", vectorBits: 512, vectorRegisters: 32, bf16Dot: true }, "dot host");

const bf16 = (s: MatmulShape): MatmulShape => ({ ...s, dtype: "bf16" });

/** Random legal bf16 tiled schedules on small shapes with primes (B packed or read in place, any tile). */
function randomSpecs(host: HostModel, count: number, seed: number, forcePackB: boolean): KernelSpec[] {
  const shapes = [{ m: 37, n: 53, k: 19 }, { m: 16, n: 64, k: 7 }, { m: 3, n: 97, k: 41 }, { m: 61, n: 33, k: 64 }].map(bf16);
  const specs: KernelSpec[] = [];
  for (const t of fc.sample(fc.nat(), { numRuns: 400, seed })) {
    if (specs.length >= count) break;
    const shape = shapes[t % shapes.length]!;
    const space = new TiledSpace(shape, host, 2);
    let s = t;
    const params = space.random(() => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const p = forcePackB ? space.normalize({ ...params, packA: false, packB: true, lanes: 16 }) : params;
    const v = validateSchedule(tiledSchedule("bf16", p), shape, host);
    if (!v.ok) continue;
    // (a tile taller than M has no register kernel, so no k-pair kernel either: those run the widening path)
    if (forcePackB && !bf16DotKernel(v.nest, host)) continue;
    specs.push({ id: `${forcePackB ? "dot" : "widen"}${specs.length} ${JSON.stringify({ shape, p })}`, kind: "nest", nest: v.nest });
  }
  return specs;
}

describe("bf16 kernels (A and B bfloat16, C float32)", () => {
  it("property: random legal bf16 schedules compile and match the float64 reference of the rounded inputs (widening and k-pair kernels)", async () => {
    const widen = randomSpecs(RUN_HOST, 6, 11, false);
    const dot = randomSpecs(DOT_HOST, 5, 12, true);
    expect(widen.length).toBe(6);
    expect(dot.length).toBe(5);
    // Never the k-pair kernel on a host without the instruction; the dot host's kernels read B's pairs.
    expect(dot.every((s) => s.kind === "nest" && emitKernelC(s.nest, DOT_HOST, "f").includes("KPU_DPBF("))).toBe(true);
    expect(widen.every((s) => s.kind === "nest" && !bf16DotKernel(s.nest, RUN_HOST) && emitKernelC(s.nest, RUN_HOST, "f").includes("const unsigned short *restrict A"))).toBe(true);
    const [w, d] = await Promise.all([measureKernels(widen, { ...quick, host: RUN_HOST }), measureKernels(dot, { ...quick, host: DOT_HOST })]);
    const bad = [...w, ...d].flatMap((r) => (r.ok ? [] : [`${r.id}: ${r.reason}`]));
    expect(bad).toEqual([]);
    for (const r of [...w, ...d]) if (r.ok) expect(r.relErr).toBeLessThanOrEqual(1e-4);
  }, 240_000);

  it("the 1e-4 tolerance is about float32 accumulation: a kernel that accumulates in bf16 fails it, one in float32 passes", async () => {
    const shape = bf16({ m: 9, n: 23, k: 301 });
    const loop = (acc: string): string => `
static float bf(unsigned short h) { unsigned int u = (unsigned int)h << 16; float f; memcpy(&f, &u, 4); return f; }
static float round_bf16(float f) { unsigned int u; memcpy(&u, &f, 4); u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u; memcpy(&f, &u, 4); return f; }
void KPU_FN(const unsigned short *restrict A, const unsigned short *restrict B, float *restrict C) {
  for (long i = 0; i < ${shape.m}; i++) for (long j = 0; j < ${shape.n}; j++) {
    float s = 0;
    for (long k = 0; k < ${shape.k}; k++) s = ${acc};
    C[i * ${shape.n} + j] = s;
  }
  (void)round_bf16;
}`;
    const [f32acc, bf16acc] = await measureKernels(
      [
        { id: "f32 accumulator", kind: "c", shape, code: loop("s + bf(A[i * K + k]) * bf(B[k * N + j])".replaceAll("K", String(shape.k)).replaceAll("N", String(shape.n))) },
        { id: "bf16 accumulator", kind: "c", shape, code: loop("round_bf16(s + bf(A[i * K + k]) * bf(B[k * N + j]))".replaceAll("K", String(shape.k)).replaceAll("N", String(shape.n))) },
      ],
      { ...quick, host: RUN_HOST },
    );
    expect(f32acc).toMatchObject({ ok: true });
    expect(bf16acc).toMatchObject({ ok: false, reason: expect.stringMatching(/^wrong result: max relative error/) as unknown });
  }, 120_000);

  it("oneDNN's bf16 GEMM is checked like every kernel, or reported with its reason (unimplemented below AVX-512, or missing)", async () => {
    const shape = bf16({ m: 31, n: 67, k: 53 });
    const [r] = await measureKernels([{ id: "onednn", kind: "peer", peer: "onednn", shape }], { ...quick, host: RUN_HOST });
    if (r!.ok) expect(r!.relErr).toBeLessThanOrEqual(1e-4);
    else expect(r!.reason).toMatch(/dnnl_gemm_bf16bf16f32 returned status|onednn not found/);
    const [o] = await measureKernels([{ id: "openblas", kind: "peer", peer: "openblas", shape }], { ...quick, host: RUN_HOST });
    expect(o).toMatchObject({ ok: false, reason: expect.stringContaining("no bf16 GEMM") as unknown });
  }, 120_000);
});

describe("bf16 rules (H14 and the halved bytes)", () => {
  it("count 2-byte elements: a B of 24 MiB in f32 streams from DRAM, the same B in bf16 (12 MiB) fits half the 32 MiB L3", () => {
    const shape = { m: 64, n: 3072, k: 2048 };
    expect(regimeOf(shape, TEST_HOST, 8)).not.toBe("cached");
    expect(regimeOf(bf16(shape), TEST_HOST, 8)).toBe("cached");
  });

  it("without the dot product bf16 widens (no pair packing); with it, compute-bound shapes pack B in k-pairs and GEMVs still widen", () => {
    const plain = hostRules(bf16({ m: 128, n: 768, k: 768 }), TEST_HOST, 2);
    expect(plain.decisions.find((d) => d.id === "H14")?.value).toMatch(/^widen/);
    const dotHost: HostModel = { ...TEST_HOST, bf16Dot: true };
    const prefill = hostRules(bf16({ m: 128, n: 768, k: 768 }), dotHost, 2);
    expect(prefill.decisions.find((d) => d.id === "H14")?.value).toMatch(/^bf16 dot product/);
    expect(prefill.params.packB).toBe(true);
    const v = validateSchedule(prefill.schedule, bf16({ m: 128, n: 768, k: 768 }), dotHost);
    expect(v.ok && bf16DotKernel(v.nest, dotHost)).toBe(true);
    // KC from the L1 bound with 2-byte pairs: (KC x NR + MR x KC) x 2 B within 11 of 12 ways of 4 KiB.
    const { mr, nrVectors, lanes, kc } = prefill.params;
    expect(Math.ceil((kc * nrVectors * lanes * 2) / 4096) + Math.ceil((kc * mr * 2) / 4096)).toBeLessThanOrEqual(11);
    const gemv = hostRules(bf16({ m: 1, n: 4096, k: 4096 }), dotHost, 2);
    expect(gemv.decisions.find((d) => d.id === "H14")?.value).toMatch(/^widen/);
    expect(gemv.params.packB).toBe(false);
    // f32 shapes have no H14.
    expect(hostRules({ m: 128, n: 768, k: 768 }, dotHost, 2).decisions.some((d) => d.id === "H14")).toBe(false);
  });

  it("property: the rule schedule of any bf16 shape is legal on AVX-512 (with and without the dot product) and AVX2 hosts", () => {
    const avx2: HostModel = { ...TEST_HOST, isa: "avx2", vectorBits: 256, vectorRegisters: 16, l1d: { bytes: 32768, ways: 8, lineBytes: 64 }, l2: { bytes: 524288, ways: 8, lineBytes: 64 }, l3: { bytes: 8388608, ways: 16, lineBytes: 64 } };
    const hosts = [TEST_HOST, { ...TEST_HOST, bf16Dot: true }, avx2];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), (m, n, k, threads, half) => {
        const shape = half ? bf16({ m, n, k }) : { m, n, k };
        for (const host of hosts) {
          const v = validateSchedule(hostRules(shape, host, threads).schedule, shape, host);
          if (!v.ok) throw new Error(`${host.isa}${host.bf16Dot === true ? "+bf16" : ""} ${m}x${n}x${k}${half ? " bf16" : ""}: ${v.reason}`);
        }
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});
