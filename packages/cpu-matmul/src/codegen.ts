import type { HostModel } from "./host.js";
import { dtypeOf } from "./shapes.js";
import {
  axisExtent,
  enclosingLevel,
  loopExtent,
  loopIndex,
  regionSize,
  registerTile,
  vectorWidthFor,
  type Axis,
  type Loop,
  type LoopNest,
  type RegisterTile,
} from "./schedule.js";

/** Vector typedefs and helpers shared by every generated translation unit (GCC/Clang vector extensions). */
export const C_PRELUDE = `#include <stdlib.h>
#include <string.h>
typedef float kpu_v4 __attribute__((vector_size(16)));
typedef float kpu_v8 __attribute__((vector_size(32)));
typedef float kpu_v16 __attribute__((vector_size(64)));
#define KPU_LD(T, p) ({ T kpu_t_; __builtin_memcpy(&kpu_t_, (p), sizeof kpu_t_); kpu_t_; })
#define KPU_ST(p, v) do { __typeof__(v) kpu_t_ = (v); __builtin_memcpy((p), &kpu_t_, sizeof kpu_t_); } while (0)
#define KPU_MIN(a, b) ((a) < (b) ? (a) : (b))
/* bf16 (the upper 16 bits of a float32) widened to float32 by a 16-bit shift: one element, or L lanes at once
   (a zero-extending load and a shift, vpmovzxwd + vpslld on x86). */
typedef unsigned short kpu_h4 __attribute__((vector_size(8)));
typedef unsigned short kpu_h8 __attribute__((vector_size(16)));
typedef unsigned short kpu_h16 __attribute__((vector_size(32)));
typedef unsigned int kpu_u4 __attribute__((vector_size(16)));
typedef unsigned int kpu_u8 __attribute__((vector_size(32)));
typedef unsigned int kpu_u16 __attribute__((vector_size(64)));
static inline float kpu_bf(unsigned short h) { unsigned int u = (unsigned int)h << 16; float f; __builtin_memcpy(&f, &u, sizeof f); return f; }
#define KPU_LDBF_G(L, p) ((kpu_v##L)(__builtin_convertvector(KPU_LD(kpu_h##L, (p)), kpu_u##L) << 16))
#define KPU_LDBF(L, p) KPU_LDBF_##L(p)
#define KPU_LDBF_4(p) KPU_LDBF_G(4, p)
/* GCC 12 splits the generic 8- and 16-lane widening into halves (4 instructions); x86 has it as one. */
#if defined(__AVX2__)
#include <immintrin.h>
#define KPU_LDBF_8(p) ((kpu_v8)_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p))), 16))
#else
#define KPU_LDBF_8(p) KPU_LDBF_G(8, p)
#endif
#if defined(__AVX512F__)
#define KPU_LDBF_16(p) ((kpu_v16)_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p))), 16))
#else
#define KPU_LDBF_16(p) KPU_LDBF_G(16, p)
#endif
/* The bf16 dot product of AVX512-BF16: acc[j] += a0 * b[2j] + a1 * b[2j + 1] over 16 lanes, (a0, a1) the two bf16 of
   the 32-bit word aw, b 32 bf16 (k-pairs of 16 columns). Without the instruction the same sums with float32 FMAs
   (used when a host config claims bf16Dot on a host without it, so that the pair layout can be checked anywhere). */
typedef unsigned int kpu_w16 __attribute__((vector_size(64)));
#if defined(__AVX512BF16__)
#define KPU_DPBF(acc, aw, bp) ((kpu_v16)_mm512_dpbf16_ps((__m512)(acc), (__m512bh)_mm512_set1_epi32((int)(aw)), (__m512bh)_mm512_loadu_si512((const void *)(bp))))
#else
static inline kpu_v16 kpu_dpbf(kpu_v16 acc, unsigned int aw, const unsigned short *bp) {
  const kpu_w16 w = KPU_LD(kpu_w16, bp);
  return acc + (kpu_v16)(w << 16) * kpu_bf((unsigned short)aw) + (kpu_v16)(w & 0xffff0000u) * kpu_bf((unsigned short)(aw >> 16));
}
#define KPU_DPBF(acc, aw, bp) kpu_dpbf((acc), (aw), (bp))
#endif
static inline unsigned int kpu_pair(const unsigned short *p) { unsigned int w; __builtin_memcpy(&w, p, sizeof w); return w; }
`;

/** Largest zero-padded B panel (KC x NR floats) an edge tile may copy onto the stack. */
const EDGE_PANEL_BYTES = 64 * 1024;

interface Range {
  readonly lo: string;
  readonly hi: string;
  readonly size: number;
}

interface PackInfo {
  readonly buf: string;
  readonly lo: string;
  readonly klo: string;
  readonly width: number;
  readonly panel: number;
}

class Emitter {
  readonly lines: string[] = [];
  private depth = 1;
  readonly packA: PackInfo | undefined;
  readonly packB: PackInfo | undefined;
  private accTarget: { lo: Range; jlo: Range; cols: number } | undefined;
  /** Inside the edge-tile fallback of a register tile: loops are not unrolled (smaller code, faster compiles). */
  private inFallback = false;
  private readonly tile: RegisterTile | undefined;
  private readonly M: number;
  private readonly N: number;
  private readonly K: number;
  /** A and B are bf16 (widened to float32 where they are read; packed copies are float32). */
  private readonly bf16: boolean;
  /** C type of an element of A and B in memory. */
  private readonly srcT: string;
  /** bf16 with the dot-product kernel: B packed in k-pairs (bf16), A's pairs read in place (see `bf16DotKernel`). */
  private readonly dot: boolean;

  constructor(
    readonly nest: LoopNest,
    readonly host: HostModel,
  ) {
    this.tile = registerTile(nest, host);
    this.M = nest.shape.m;
    this.N = nest.shape.n;
    this.K = nest.shape.k;
    this.bf16 = dtypeOf(nest.shape) === "bf16";
    this.srcT = this.bf16 ? "unsigned short" : "float";
    const pack = (operand: "A" | "B"): PackInfo | undefined => {
      const p = nest.packs.find((q) => q.operand === operand);
      if (p === undefined) return undefined;
      const at = loopIndex(nest, p.at);
      const spatial: Axis = operand === "A" ? "i" : "j";
      const r = this.range(spatial, at);
      const kr = this.range("k", at);
      return { buf: `p${operand}`, lo: r.lo, klo: kr.lo, width: p.width, panel: kr.size * p.width };
    };
    this.packA = pack("A");
    this.dot = bf16DotKernel(nest, host);
    const pb = pack("B");
    // The dot kernel's B panel: KC rounded up to even, in k-pairs of bf16 (u16 elements).
    this.packB = pb === undefined || !this.dot ? pb : { ...pb, panel: (Math.ceil(this.range("k", loopIndex(nest, nest.packs.find((q) => q.operand === "B")!.at)).size / 2) * 2) * pb.width };
  }

  line(text: string): void {
    this.lines.push(`${"  ".repeat(this.depth)}${text}`);
  }
  open(text: string): void {
    this.line(`${text} {`);
    this.depth++;
  }
  close(): void {
    this.depth--;
    this.line("}");
  }

  /** The region of `axis` covered by the body of loop `pos` (-1: the whole axis). */
  range(axis: Axis, pos: number): Range {
    const level = enclosingLevel(this.nest, axis, pos);
    const size = regionSize(this.nest, axis, pos);
    if (level === undefined) return { lo: "0", hi: String(axisExtent(this.nest.shape, axis)), size };
    return { lo: `v_${level.name}`, hi: `h_${level.name}`, size };
  }

  /** A source element as float32 (widened from bf16). */
  src(x: string): string {
    return this.bf16 ? `kpu_bf(${x})` : x;
  }
  a(i: string, k: string): string {
    const p = this.packA;
    if (p === undefined) return this.src(`A[(${i}) * ${this.K} + (${k})]`);
    return `pA[((${i}) - ${p.lo}) / ${p.width} * ${p.panel} + ((${k}) - ${p.klo}) * ${p.width} + ((${i}) - ${p.lo}) % ${p.width}]`;
  }
  /** B's element as float32. */
  b(k: string, j: string): string {
    return this.packB === undefined ? this.src(this.bRaw(k, j)) : this.bRaw(k, j);
  }
  /** C type of B's elements where the kernel reads them: the pack buffer (float32) or the source array. */
  bElem(): string {
    return this.packB === undefined ? this.srcT : "float";
  }
  /** A vector of `lanes` float32 of B from the address `ptr` (of bElem type). */
  bVec(lanes: number, ptr: string): string {
    return this.packB === undefined && this.bf16 ? `KPU_LDBF(${lanes}, ${ptr})` : `KPU_LD(kpu_v${lanes}, ${ptr})`;
  }
  /** B's element as stored where the kernel reads it (an lvalue: its address may be taken). */
  bRaw(k: string, j: string): string {
    const p = this.packB;
    if (p === undefined) return `B[(${k}) * ${this.N} + (${j})]`;
    return `pB[((${j}) - ${p.lo}) / ${p.width} * ${p.panel} + ((${k}) - ${p.klo}) * ${p.width} + ((${j}) - ${p.lo}) % ${p.width}]`;
  }
  t(i: string, j: string): string {
    const acc = this.accTarget;
    if (acc === undefined) return `C[(${i}) * ${this.N} + (${j})]`;
    return `acc[((${i}) - ${acc.lo.lo}) * ${acc.cols} + ((${j}) - ${acc.jlo.lo})]`;
  }

  /** Index variable of `axis` at the innermost statement (its step-1 level). */
  indexVar(axis: Axis): string {
    const level = enclosingLevel(this.nest, axis, this.nest.loops.length - 1)!;
    return `v_${level.name}`;
  }

  /** The first k of the current accumulation (for the init of a non-decomposed reduction). */
  initK(): string {
    if (this.accTarget === undefined) return "0";
    const at = this.nest.cacheWriteAt === undefined ? -1 : loopIndex(this.nest, this.nest.cacheWriteAt);
    return this.range("k", at).lo;
  }

  emitFunction(fn: string): string {
    const parallel = this.nest.loops[0]?.annotation === "parallel";
    const packs = [this.packA, this.packB].filter((p): p is PackInfo => p !== undefined);
    // Pack buffers: allocated once per thread on first use and reused by every later call (no malloc in the timed path).
    const packT = (p: PackInfo): string => (p.buf === "pB" && this.dot ? "unsigned short" : "float");
    for (const p of packs) this.lines.push(`static __thread ${packT(p)} *${fn}_${p.buf};`);
    this.lines.push(`void ${fn}(const ${this.srcT} *restrict A, const ${this.srcT} *restrict B, float *restrict C) {`);
    if (parallel) this.line("#pragma omp parallel");
    this.open("");
    for (const p of packs) {
      const at = loopIndex(this.nest, this.nest.packs.find((q) => `p${q.operand}` === p.buf)!.at);
      const spatial: Axis = p.buf === "pA" ? "i" : "j";
      const rows = Math.ceil(this.range(spatial, at).size / p.width) * p.width;
      const bytes = packT(p) === "float" ? rows * this.range("k", at).size * 4 : (rows / p.width) * p.panel * 2;
      this.line(`if (${fn}_${p.buf} == NULL) ${fn}_${p.buf} = (${packT(p)} *)aligned_alloc(64, ${Math.ceil(bytes / 64) * 64});`);
      this.line(`${packT(p)} *restrict ${p.buf} = ${fn}_${p.buf};`);
    }
    this.emitInside(-1);
    this.close();
    this.lines.push("}");
    return this.lines.join("\n");
  }

  /** Body of loop `pos` (or the function for -1): packs placed here, then the cache region or the next loop. */
  emitInside(pos: number): void {
    const name = pos < 0 ? "root" : this.nest.loops[pos]!.name;
    for (const p of this.nest.packs.filter((q) => q.at === name)) this.emitPack(p.operand, pos);
    if (this.nest.cacheWriteAt === name) this.emitCacheRegion(pos);
    else this.emitFrom(pos + 1);
  }

  emitPack(operand: "A" | "B", pos: number): void {
    const info = operand === "A" ? this.packA! : this.packB!;
    const spatial = this.range(operand === "A" ? "i" : "j", pos);
    const kr = this.range("k", pos);
    const w = info.width;
    if (operand === "B" && this.dot) {
      // k-pairs: element (k, j) of a panel at ((k - klo) / 2) * 2w + 2j + (k - klo) % 2; columns past the edge and the
      // row past an odd KC are zero, so the kernel reads whole NR-wide pairs everywhere.
      this.open(`for (long pp = ${spatial.lo}; pp < ${spatial.hi}; pp += ${w})`);
      this.line(`const long pw = KPU_MIN(${w}, ${spatial.hi} - pp);`);
      this.line(`unsigned short *restrict dst = ${info.buf} + (pp - ${spatial.lo}) / ${w} * ${info.panel};`);
      this.open(`for (long pk = ${kr.lo}; pk < ${kr.hi}; pk++)`);
      this.prefetchRow("pk", "pp", "pw");
      this.line(`unsigned short *restrict row = dst + (pk - ${kr.lo}) / 2 * ${2 * w} + (pk - ${kr.lo}) % 2;`);
      this.line(`for (long px = 0; px < pw; px++) row[2 * px] = B[pk * ${this.N} + pp + px];`);
      this.line(`for (long px = pw; px < ${w}; px++) row[2 * px] = 0;`);
      this.close();
      this.line(`if ((${kr.hi} - ${kr.lo}) % 2) for (long px = 0; px < ${w}; px++) dst[(${kr.hi} - ${kr.lo}) / 2 * ${2 * w} + 2 * px + 1] = 0;`);
      this.close();
      return;
    }
    this.open(`for (long pp = ${spatial.lo}; pp < ${spatial.hi}; pp += ${w})`);
    this.line(`const long pw = KPU_MIN(${w}, ${spatial.hi} - pp);`);
    this.line(`float *restrict dst = ${info.buf} + (pp - ${spatial.lo}) / ${w} * ${info.panel};`);
    this.open(`for (long pk = ${kr.lo}; pk < ${kr.hi}; pk++)`);
    if (operand === "B") {
      this.prefetchRow("pk", "pp", "pw");
      if (this.bf16) this.line(`for (long px = 0; px < pw; px++) dst[(pk - ${kr.lo}) * ${w} + px] = kpu_bf(B[pk * ${this.N} + pp + px]);`);
      else this.line(`memcpy(dst + (pk - ${kr.lo}) * ${w}, B + pk * ${this.N} + pp, (size_t)pw * sizeof(float));`);
    } else {
      this.line(`for (long px = 0; px < pw; px++) dst[(pk - ${kr.lo}) * ${w} + px] = ${this.src(`A[(pp + px) * ${this.K} + pk]`)};`);
    }
    this.close();
    this.close();
  }

  /**
   * Software prefetch of B's row `k + prefetchB`, columns [j, j + width), one per cache line (when scheduled). `width`
   * is a count known here (a full register tile) or a C expression evaluated at run time (a pack's panel, which may be
   * narrower at the edge), so no address past B is formed.
   */
  prefetchRow(k: string, j: string, width: number | string): void {
    const d = this.nest.prefetchB;
    if (d === 0) return;
    const floatsPerLine = this.host.l1d.lineBytes / (this.bf16 ? 2 : 4);
    const row = `B + (${k} + ${d}) * ${this.N} + ${j}`;
    if (typeof width === "number") {
      const lines = Array.from({ length: Math.ceil(width / floatsPerLine) }, (_, n) => `__builtin_prefetch(${row} + ${n * floatsPerLine}, 0, 3);`);
      this.line(`if (${k} + ${d} < ${this.K}) { ${lines.join(" ")} }`);
    } else {
      this.line(`if (${k} + ${d} < ${this.K}) for (long pl = 0; pl < ${width}; pl += ${floatsPerLine}) __builtin_prefetch(${row} + pl, 0, 3);`);
    }
  }

  unrollPragma(pos: number): void {
    if (this.inFallback) return;
    const loop = this.nest.loops[pos]!;
    if (loop.annotation === "unroll") {
      this.line(`#pragma GCC unroll ${Math.min(256, loopExtent(loop))}`);
      return;
    }
    const au = this.nest.autoUnroll;
    if (au === undefined || au.maxStep === 0 || loop.annotation !== "none") return;
    const anchor = loopIndex(this.nest, au.loop);
    if (pos <= anchor) return;
    const product = this.nest.loops.slice(pos).reduce((p, l) => p * loopExtent(l), 1);
    if (product <= au.maxStep) this.line(`#pragma GCC unroll ${loopExtent(loop)}`);
  }

  /** Opens loop `pos`: header, bounds of its index variables. The caller closes it. */
  openLoop(pos: number): void {
    const loop = this.nest.loops[pos]!;
    if (loop.annotation === "parallel") this.line("#pragma omp for schedule(static)");
    else this.unrollPragma(pos);
    if (loop.parts.length === 1) {
      const level = loop.parts[0]!;
      const parent = this.range(level.axis, pos - 1);
      const v = `v_${level.name}`;
      this.open(`for (long ${v} = ${parent.lo}; ${v} < ${parent.hi}; ${v} += ${level.step})`);
      this.line(`const long h_${level.name} = KPU_MIN(${v} + ${level.step}, ${parent.hi});`);
      return;
    }
    const [p1, p2] = loop.parts as [Loop["parts"][0], Loop["parts"][0]];
    const r1 = this.range(p1.axis, pos - 1);
    const r2 = this.range(p2.axis, pos - 1);
    const e1 = `((${r1.hi} - ${r1.lo} + ${p1.step - 1}) / ${p1.step})`;
    const e2 = `((${r2.hi} - ${r2.lo} + ${p2.step - 1}) / ${p2.step})`;
    const f = `v_${loop.name}`;
    this.open(`for (long ${f} = 0; ${f} < ${e1} * ${e2}; ${f}++)`);
    this.line(`const long v_${p1.name} = ${r1.lo} + ${f} / ${e2} * ${p1.step};`);
    this.line(`const long h_${p1.name} = KPU_MIN(v_${p1.name} + ${p1.step}, ${r1.hi});`);
    this.line(`const long v_${p2.name} = ${r2.lo} + ${f} % ${e2} * ${p2.step};`);
    this.line(`const long h_${p2.name} = KPU_MIN(v_${p2.name} + ${p2.step}, ${r2.hi});`);
  }

  emitFrom(pos: number): void {
    const loops = this.nest.loops;
    if (pos >= loops.length) {
      this.emitStatement();
      return;
    }
    const loop = loops[pos]!;
    const firstK = loops.findIndex((l) => l.parts.some((p) => p.axis === "k"));
    if (pos === firstK && this.nest.decompose && this.nest.cacheWriteAt === undefined) this.emitZeroC(pos - 1);
    if (loop.annotation === "vectorize") {
      this.emitVectorLoop(pos);
      return;
    }
    this.openLoop(pos);
    this.emitInside(pos);
    this.close();
  }

  emitZeroC(pos: number): void {
    const ri = this.range("i", pos);
    const rj = this.range("j", pos);
    this.line(`for (long zi = ${ri.lo}; zi < ${ri.hi}; zi++) memset(C + zi * ${this.N} + ${rj.lo}, 0, (size_t)(${rj.hi} - ${rj.lo}) * sizeof(float));`);
  }

  emitStatement(): void {
    const i = this.indexVar("i");
    const j = this.indexVar("j");
    const k = this.indexVar("k");
    const needsInit = !this.nest.decompose;
    if (needsInit) this.line(`if (${k} == ${this.initK()}) ${this.t(i, j)} = 0.0f;`);
    this.line(`${this.t(i, j)} += ${this.a(i, k)} * ${this.b(k, j)};`);
  }

  emitVectorLoop(pos: number): void {
    const loop = this.nest.loops[pos]!;
    const level = loop.parts[0]!;
    const extent = loopExtent(loop);
    const lanes = vectorWidthFor(this.host, extent)!;
    const vt = `kpu_v${lanes}`;
    const parent = this.range("j", pos - 1);
    const i = this.indexVar("i");
    const k = this.indexVar("k");
    this.open(`if (${parent.hi} - ${parent.lo} == ${extent})`);
    for (let c = 0; c < extent / lanes; c++) {
      const j = `${parent.lo} + ${c * lanes}`;
      this.open("");
      this.line(`${vt} b = ${this.bVec(lanes, `&${this.bRaw(k, j)}`)};`);
      const load = `KPU_LD(${vt}, &${this.t(i, j)})`;
      this.line(`${vt} t = ${this.nest.decompose ? load : `${k} == ${this.initK()} ? (${vt}){0} : ${load}`};`);
      this.line(`t += b * ${this.a(i, k)};`);
      this.line(`KPU_ST(&${this.t(i, j)}, t);`);
      this.close();
    }
    this.depth--;
    this.open("} else");
    const v = `v_${level.name}`;
    this.open(`for (long ${v} = ${parent.lo}; ${v} < ${parent.hi}; ${v}++)`);
    this.emitStatement();
    this.close();
    this.close();
  }

  /**
   * cache_write at `pos`: the register micro-kernel for full tiles; for edge tiles the same kernel on a zero-padded B
   * panel with A's rows clamped into range, written back through a local tile (when its panel fits EDGE_PANEL_BYTES and
   * no pack sits inside the tile), else a local-array accumulator.
   */
  emitCacheRegion(pos: number): void {
    const ri = this.range("i", pos);
    const rj = this.range("j", pos);
    const kr = this.range("k", pos);
    const tile = this.tile;
    this.open("");
    if (tile !== undefined) {
      this.open(`if (${ri.hi} - ${ri.lo} == ${tile.mr} && ${rj.hi} - ${rj.lo} == ${tile.nr})`);
      if (this.dot) this.emitDotKernel(tile, ri, rj, kr, false);
      else this.emitRegisterKernel(tile, ri, rj, kr, false);
      this.depth--;
      this.open("} else");
      if (this.dot) {
        this.emitDotKernel(tile, ri, rj, kr, true);
        this.close();
        this.close();
        return;
      }
      if (this.edgeKernelFits(tile, kr)) {
        this.emitRegisterKernel(tile, ri, rj, kr, true);
        this.close();
        this.close();
        return;
      }
    }
    this.line(`float acc[${ri.size * rj.size}] __attribute__((aligned(64)));`);
    if (this.nest.decompose) this.line("memset(acc, 0, sizeof acc);");
    this.accTarget = { lo: ri, jlo: rj, cols: rj.size };
    this.inFallback = tile !== undefined;
    this.emitFrom(pos + 1);
    this.inFallback = false;
    this.accTarget = undefined;
    const store = (op: "=" | "+="): string =>
      `for (long wi = ${ri.lo}; wi < ${ri.hi}; wi++) for (long wj = ${rj.lo}; wj < ${rj.hi}; wj++) C[wi * ${this.N} + wj] ${op} acc[(wi - ${ri.lo}) * ${rj.size} + (wj - ${rj.lo})];`;
    if (kr.lo === "0") this.line(store("="));
    else {
      this.line(`if (${kr.lo} == 0) ${store("=")}`);
      this.line(`else ${store("+=")}`);
    }
    if (tile !== undefined) this.close();
    this.close();
  }

  /**
   * The bf16 dot-product kernel: MR x NR/16 accumulators, k in pairs; per pair NR/16 loads of the packed B pairs, MR
   * 32-bit broadcasts of A's pair (the odd last k: A's element alone, its pair's B half is zero) and MR x NR/16
   * `vdpbf16ps`. The packed panel is zero-padded to NR columns, so an edge tile reads it whole, clamps A's rows into
   * range and writes back only its own elements through a local tile.
   */
  emitDotKernel(tile: RegisterTile, ri: Range, rj: Range, kr: Range, edge: boolean): void {
    const p = this.packB!;
    const nv = tile.nr / 16;
    if (edge) this.line(`const long eh = ${ri.hi} - ${ri.lo}, ew = ${rj.hi} - ${rj.lo};`);
    for (let r = 0; r < tile.mr; r++) this.line(Array.from({ length: nv }, (_, c) => `kpu_v16 c${r}_${c} = {0};`).join(" "));
    this.line(`const unsigned short *restrict bp0 = pB + (${rj.lo} - ${p.lo}) / ${p.width} * ${p.panel};`);
    const rowOf = (r: number): string => (edge ? `KPU_MIN(${ri.lo} + ${r}, ${ri.hi} - 1)` : `${ri.lo} + ${r}`);
    const body = (pair: boolean): void => {
      this.line(`const unsigned short *restrict bp = bp0 + (kq - ${p.klo}) / 2 * ${2 * p.width};`);
      for (let r = 0; r < tile.mr; r++) {
        const a = pair ? `kpu_pair(A + (${rowOf(r)}) * ${this.K} + kq)` : `(unsigned int)A[(${rowOf(r)}) * ${this.K} + kq]`;
        this.line(`{ const unsigned int a = ${a}; ${Array.from({ length: nv }, (_, c) => `c${r}_${c} = KPU_DPBF(c${r}_${c}, a, bp + ${c * 32});`).join(" ")} }`);
      }
    };
    this.line("long kq;");
    this.open(`for (kq = ${kr.lo}; kq + 1 < ${kr.hi}; kq += 2)`);
    body(true);
    this.close();
    this.open(`if (kq < ${kr.hi})`);
    body(false);
    this.close();
    this.emitStores(tile, 16, ri, rj, kr, edge);
  }

  /** The edge-tile register kernel needs a zero-padded KC x NR copy of B on the stack and no pack inside the tile. */
  edgeKernelFits(tile: RegisterTile, kr: Range): boolean {
    const innerPacks = tile.kLoops.some((p) => this.nest.packs.some((q) => q.at === this.nest.loops[p]!.name));
    return !innerPacks && kr.size * tile.nr * 4 <= EDGE_PANEL_BYTES;
  }

  /**
   * MR x NR accumulators in vector registers, k inside. `edge`: the tile may be smaller than MR x NR; B comes from a
   * zero-padded panel when it is narrower than NR, A's rows past the tile repeat its last row, and the results go
   * through a local tile so that only the tile's own elements of C are written.
   */
  emitRegisterKernel(tile: RegisterTile, ri: Range, rj: Range, kr: Range, edge: boolean): void {
    const vt = `kpu_v${tile.lanes}`;
    const nv = tile.nr / tile.lanes;
    if (edge) {
      this.line(`const long eh = ${ri.hi} - ${ri.lo}, ew = ${rj.hi} - ${rj.lo};`);
      const et = this.bElem();
      this.line(`${et} eb[${kr.size * tile.nr}] __attribute__((aligned(64)));`);
      this.line(`const ${et} *eb0; long ebs;`);
      this.open(`if (ew == ${tile.nr})`);
      this.line(`eb0 = &${this.bRaw(kr.lo, rj.lo)};`);
      this.line(`ebs = ${kr.hi} - ${kr.lo} > 1 ? &${this.bRaw(`${kr.lo} + 1`, rj.lo)} - eb0 : 0;`);
      this.depth--;
      this.open("} else");
      this.line(`for (long ek = ${kr.lo}; ek < ${kr.hi}; ek++) for (long ex = 0; ex < ${tile.nr}; ex++) eb[(ek - ${kr.lo}) * ${tile.nr} + ex] = ex < ew ? ${this.bRaw("ek", `${rj.lo} + ex`)} : 0;`);
      this.line(`eb0 = eb; ebs = ${tile.nr};`);
      this.close();
    }
    for (let r = 0; r < tile.mr; r++) this.line(Array.from({ length: nv }, (_, c) => `${vt} c${r}_${c} = {0};`).join(" "));
    const innerK = (n: number): void => {
      if (n < tile.kLoops.length) {
        const pos = tile.kLoops[n]!;
        this.openLoop(pos);
        const name = this.nest.loops[pos]!.name;
        for (const p of this.nest.packs.filter((q) => q.at === name)) this.emitPack(p.operand, pos);
        innerK(n + 1);
        this.close();
        return;
      }
      const kLevel = enclosingLevel(this.nest, "k", tile.kLoops.length > 0 ? tile.kLoops[tile.kLoops.length - 1]! : tile.at)!;
      const k = `v_${kLevel.name}`;
      if (!this.nest.decompose) {
        this.open(`if (${k} == ${kr.lo})`);
        for (let r = 0; r < tile.mr; r++) for (let c = 0; c < nv; c++) this.line(`c${r}_${c} = (${vt}){0};`);
        this.close();
      }
      this.line(edge ? `const ${this.bElem()} *restrict bp = eb0 + (${k} - ${kr.lo}) * ebs;` : `const ${this.bElem()} *restrict bp = &${this.bRaw(k, rj.lo)};`);
      for (let c = 0; c < nv; c++) this.line(`const ${vt} b${c} = ${this.bVec(tile.lanes, `bp + ${c * tile.lanes}`)};`);
      if (!edge && this.packB === undefined) this.prefetchRow(k, rj.lo, tile.nr);
      for (let r = 0; r < tile.mr; r++) {
        const row = edge ? `KPU_MIN(${ri.lo} + ${r}, ${ri.hi} - 1)` : `${ri.lo} + ${r}`;
        this.line(`{ const float a = ${this.a(row, k)}; ${Array.from({ length: nv }, (_, c) => `c${r}_${c} += b${c} * a;`).join(" ")} }`);
      }
    };
    innerK(0);
    this.emitStores(tile, tile.lanes, ri, rj, kr, edge);
  }

  /**
   * The register tile's accumulators `c{r}_{v}` (MR x NR / lanes vectors) into C: stored, or added on every KC pass but
   * the first; an edge tile goes through a local tile so that only its own eh x ew elements of C are written.
   */
  emitStores(tile: RegisterTile, lanes: number, ri: Range, rj: Range, kr: Range, edge: boolean): void {
    const vt = `kpu_v${lanes}`;
    const nv = tile.nr / lanes;
    if (edge) {
      this.line(`float et[${tile.mr * tile.nr}] __attribute__((aligned(64)));`);
      for (let r = 0; r < tile.mr; r++) this.line(Array.from({ length: nv }, (_, c) => `KPU_ST(et + ${r * tile.nr + c * lanes}, c${r}_${c});`).join(" "));
      const store = (op: "=" | "+="): string =>
        `for (long wi = 0; wi < eh; wi++) for (long wj = 0; wj < ew; wj++) C[(${ri.lo} + wi) * ${this.N} + ${rj.lo} + wj] ${op} et[wi * ${tile.nr} + wj];`;
      if (kr.lo === "0") this.line(store("="));
      else {
        this.line(`if (${kr.lo} == 0) ${store("=")}`);
        this.line(`else ${store("+=")}`);
      }
      return;
    }
    const cAt = (r: number, c: number): string => `C + (${ri.lo} + ${r}) * ${this.N} + ${rj.lo} + ${c * lanes}`;
    const stores = (add: boolean): void => {
      for (let r = 0; r < tile.mr; r++) {
        for (let c = 0; c < nv; c++) {
          this.line(add ? `KPU_ST(${cAt(r, c)}, KPU_LD(${vt}, ${cAt(r, c)}) + c${r}_${c});` : `KPU_ST(${cAt(r, c)}, c${r}_${c});`);
        }
      }
    };
    if (kr.lo === "0") stores(false);
    else {
      this.open(`if (${kr.lo} == 0)`);
      stores(false);
      this.depth--;
      this.open("} else");
      stores(true);
      this.close();
    }
  }
}

/**
 * Whether a bf16 nest runs the dot-product kernel (`vdpbf16ps`, or its float32 emulation where the compiler lacks
 * AVX512-BF16): the host has it (`bf16Dot`), the register tile is 16 lanes wide, B is packed NR wide outside the tile
 * over the tile's own k range (so the pairs start at the tile's first k), and A is read in place (its k-pairs are
 * adjacent in a row). Otherwise a bf16 nest widens bf16 to float32 and uses float32 FMAs.
 */
export function bf16DotKernel(nest: LoopNest, host: HostModel): boolean {
  if (dtypeOf(nest.shape) !== "bf16" || host.bf16Dot !== true) return false;
  const tile = registerTile(nest, host);
  if (tile === undefined || tile.lanes !== 16 || nest.packs.some((q) => q.operand === "A")) return false;
  const pack = nest.packs.find((q) => q.operand === "B");
  if (pack === undefined || pack.width !== tile.nr) return false;
  const at = loopIndex(nest, pack.at);
  if (at > tile.at) return false;
  // No k loop between the pack and the tile: the packed k range is the tile's.
  return nest.loops.slice(at + 1, tile.at + 1).every((l) => l.parts.every((q) => q.axis !== "k"));
}

/**
 * C source of one kernel `void fn(const T *A, const T *B, float *C)` for a validated nest, T = float, or unsigned short
 * for bf16 shapes (widened to float32 where read, accumulated in float32).
 */
export function emitKernelC(nest: LoopNest, host: HostModel, fn: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(fn)) throw new Error(`bad C function name ${fn}`);
  return new Emitter(nest, host).emitFunction(fn);
}
