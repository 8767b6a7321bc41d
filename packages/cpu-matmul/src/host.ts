import { existsSync, readFileSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { KpuError, issuePath, issueRule, readErrorCode } from "@kpu/ir";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

export const VECTOR_ISAS = ["avx512", "avx2", "neon", "sse", "scalar"] as const;
export type VectorIsa = (typeof VECTOR_ISAS)[number];

/** One cache level as sysfs describes it (per instance). */
export interface CacheLevel {
  readonly bytes: number;
  readonly ways: number;
  readonly lineBytes: number;
}

/**
 * What the rule engine knows about the CPU. Detected from /proc/cpuinfo and sysfs, every field overridable from a
 * config file (JSON or YAML) so that a schedule can be reproduced for another machine.
 */
export interface HostModel {
  readonly name: string;
  readonly isa: VectorIsa;
  /** Widest vector register in bits (512 for AVX-512, 256 for AVX2, 128 for NEON and SSE, 32 for scalar). */
  readonly vectorBits: number;
  /** Architectural vector registers (32 for AVX-512 and NEON, 16 for AVX2 and SSE). */
  readonly vectorRegisters: number;
  /** Vector FMA instructions issued per cycle per core, and their latency. */
  readonly fmaUnits: number;
  readonly fmaLatencyCycles: number;
  readonly cores: number;
  /**
   * Sequential streams the L2 hardware prefetcher follows at once (Intel's L2 streamer and AMD's L2 stream prefetcher
   * both track 32). Not in sysfs: a documented typical value, overridable like every field.
   */
  readonly prefetchStreams: number;
  readonly l1d: CacheLevel;
  readonly l2: CacheLevel;
  readonly l3: CacheLevel;
  /**
   * The AVX512-BF16 dot product `vdpbf16ps` (flag `avx512_bf16`): two bf16 multiply-adds per float32 lane per
   * instruction, twice the float32 FMA rate. Absent or false: bf16 kernels widen bf16 to float32 (a 16-bit shift) and
   * use the float32 FMA, so only the halved bytes of bf16 help.
   */
  readonly bf16Dot?: boolean;
  /** "detected", or the config file the values came from. */
  readonly source: string;
}

/** float32 lanes in the widest vector. */
export function vectorLanes(host: HostModel): number {
  return Math.max(1, Math.floor(host.vectorBits / 32));
}

/** Vector widths (in float32 lanes) the code generator may use on this host, widest first. */
export function supportedLanes(host: HostModel): number[] {
  const out: number[] = [];
  for (let l = vectorLanes(host); l >= 4; l /= 2) out.push(l);
  return out.length === 0 ? [4] : out;
}

const DEFAULTS_BY_ISA: Record<VectorIsa, { vectorBits: number; vectorRegisters: number }> = {
  avx512: { vectorBits: 512, vectorRegisters: 32 },
  avx2: { vectorBits: 256, vectorRegisters: 16 },
  neon: { vectorBits: 128, vectorRegisters: 32 },
  sse: { vectorBits: 128, vectorRegisters: 16 },
  scalar: { vectorBits: 32, vectorRegisters: 16 },
};

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** "48K" -> 49152 (sysfs cache size syntax). */
function parseSysfsSize(text: string | undefined): number | undefined {
  const m = /^(\d+)([KMG]?)/.exec((text ?? "").trim());
  if (m === null) return undefined;
  const mult = m[2] === "K" ? 1024 : m[2] === "M" ? 1024 ** 2 : m[2] === "G" ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

function detectCaches(): { l1d?: CacheLevel; l2?: CacheLevel; l3?: CacheLevel } {
  const dir = "/sys/devices/system/cpu/cpu0/cache";
  const out: { l1d?: CacheLevel; l2?: CacheLevel; l3?: CacheLevel } = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir).filter((e) => e.startsWith("index"))) {
    const base = `${dir}/${entry}`;
    const level = Number(readText(`${base}/level`)?.trim());
    const type = readText(`${base}/type`)?.trim();
    const bytes = parseSysfsSize(readText(`${base}/size`));
    const ways = Number(readText(`${base}/ways_of_associativity`)?.trim() ?? "0");
    const lineBytes = Number(readText(`${base}/coherency_line_size`)?.trim() ?? "64");
    if (bytes === undefined || type === "Instruction") continue;
    const c: CacheLevel = { bytes, ways: ways > 0 ? ways : 8, lineBytes: lineBytes > 0 ? lineBytes : 64 };
    if (level === 1) out.l1d = c;
    else if (level === 2) out.l2 = c;
    else if (level === 3) out.l3 = c;
  }
  return out;
}

/**
 * Reads the vector ISA, the CPU's name and its widest-vector FMA issue rate from /proc/cpuinfo (x86 flags or ARM
 * features). AMD family 0x19 with AVX-512 (Zen 4) executes a 512-bit FMA as two halves on its two 256-bit FMA pipes:
 * one 512-bit FMA per cycle. Other cores are given the common two.
 */
function detectIsa(): { isa: VectorIsa; name: string; fmaUnits: number; bf16Dot: boolean } {
  const info = readText("/proc/cpuinfo") ?? "";
  const name = /^(?:model name|Model|Hardware)\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? process.arch;
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.+)$/m.exec(info)?.[1] ?? "").split(/\s+/));
  const amdFamily = /^vendor_id\s*:\s*AuthenticAMD$/m.test(info) ? Number(/^cpu family\s*:\s*(\d+)$/m.exec(info)?.[1]) : undefined;
  if (flags.has("avx512f")) return { isa: "avx512", name, fmaUnits: amdFamily === 0x19 ? 1 : 2, bf16Dot: flags.has("avx512_bf16") };
  return { ...detectVectorIsa(flags, name), bf16Dot: false };
}

function detectVectorIsa(flags: ReadonlySet<string>, name: string): { isa: VectorIsa; name: string; fmaUnits: number } {
  if (flags.has("avx2") && flags.has("fma")) return { isa: "avx2", name, fmaUnits: 2 };
  if (flags.has("asimd") || process.arch === "arm64") return { isa: "neon", name, fmaUnits: 2 };
  if (flags.has("sse2") || process.arch === "x64") return { isa: "sse", name, fmaUnits: 2 };
  return { isa: "scalar", name, fmaUnits: 2 };
}

/** Detects this machine: ISA, registers, caches (sysfs), cores, FMA issue rate; FMA latency is the typical 4 cycles. */
export function detectHost(): HostModel {
  const { isa, name, fmaUnits, bf16Dot } = detectIsa();
  const caches = detectCaches();
  const d = DEFAULTS_BY_ISA[isa];
  return {
    name,
    isa,
    vectorBits: d.vectorBits,
    vectorRegisters: d.vectorRegisters,
    fmaUnits,
    fmaLatencyCycles: 4,
    cores: availableParallelism(),
    prefetchStreams: 32,
    l1d: caches.l1d ?? { bytes: 32 * 1024, ways: 8, lineBytes: 64 },
    l2: caches.l2 ?? { bytes: 1024 * 1024, ways: 16, lineBytes: 64 },
    l3: caches.l3 ?? { bytes: 8 * 1024 * 1024, ways: 16, lineBytes: 64 },
    ...(bf16Dot ? { bf16Dot } : {}),
    source: "detected",
  };
}

const KiB = 1024;
const cacheSchema = z
  .object({
    bytes: z.number().int().min(KiB).max(2 ** 34),
    ways: z.number().int().min(1).max(256),
    lineBytes: z.number().int().min(16).max(1024),
  })
  .partial()
  .strict();

/** A host config file: any subset of HostModel's fields; the rest comes from detection. */
export const hostConfigSchema = z
  .object({
    name: z.string().max(200),
    isa: z.enum(VECTOR_ISAS),
    vectorBits: z.union([z.literal(32), z.literal(128), z.literal(256), z.literal(512), z.literal(1024), z.literal(2048)]),
    vectorRegisters: z.number().int().min(4).max(128),
    fmaUnits: z.number().int().min(1).max(8),
    fmaLatencyCycles: z.number().int().min(1).max(32),
    cores: z.number().int().min(1).max(1024),
    prefetchStreams: z.number().int().min(1).max(256),
    l1d: cacheSchema,
    l2: cacheSchema,
    l3: cacheSchema,
    bf16Dot: z.boolean(),
  })
  .partial()
  .strict();
export type HostConfig = z.infer<typeof hostConfigSchema>;

/** The keys a host config may set, as the schema accepts them (help texts and hints list these, never others). */
export const HOST_CONFIG_KEYS = Object.keys(hostConfigSchema.shape) as (keyof HostConfig)[];
const HOST_CONFIG_HINT = `Give any of ${HOST_CONFIG_KEYS.join(", ")}; l1d, l2 and l3 are {bytes, ways, lineBytes}.`;

function mergeCache(base: CacheLevel, over: { bytes?: number | undefined; ways?: number | undefined; lineBytes?: number | undefined } | undefined): CacheLevel {
  return { bytes: over?.bytes ?? base.bytes, ways: over?.ways ?? base.ways, lineBytes: over?.lineBytes ?? base.lineBytes };
}

/** Applies a config over a detected host and checks that the result is possible (caches grow, lines divide sizes). */
export function applyHostConfig(base: HostModel, config: unknown, where = "host config"): HostModel {
  const parsed = hostConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    throw new KpuError("KPU_SCHEMA", `${path === "" ? "the document" : path} ${issueRule(issue)}`, {
      where: `${where}:${path || "(root)"}`,
      hint: HOST_CONFIG_HINT,
    });
  }
  const c = parsed.data;
  const isaDefaults = c.isa !== undefined && c.isa !== base.isa ? DEFAULTS_BY_ISA[c.isa] : {};
  // A config that moves the ISA off AVX-512 without naming bf16Dot drops the detected dot product with it.
  const { bf16Dot: detectedDot, ...detected } = base;
  const bf16Dot = c.bf16Dot ?? ((c.isa ?? base.isa) === "avx512" ? detectedDot : undefined);
  const host: HostModel = {
    ...detected,
    ...isaDefaults,
    ...(c.name !== undefined ? { name: c.name } : {}),
    ...(c.isa !== undefined ? { isa: c.isa } : {}),
    ...(c.vectorBits !== undefined ? { vectorBits: c.vectorBits } : {}),
    ...(c.vectorRegisters !== undefined ? { vectorRegisters: c.vectorRegisters } : {}),
    ...(c.fmaUnits !== undefined ? { fmaUnits: c.fmaUnits } : {}),
    ...(c.fmaLatencyCycles !== undefined ? { fmaLatencyCycles: c.fmaLatencyCycles } : {}),
    ...(c.cores !== undefined ? { cores: c.cores } : {}),
    ...(c.prefetchStreams !== undefined ? { prefetchStreams: c.prefetchStreams } : {}),
    l1d: mergeCache(base.l1d, c.l1d),
    l2: mergeCache(base.l2, c.l2),
    l3: mergeCache(base.l3, c.l3),
    ...(bf16Dot !== undefined ? { bf16Dot } : {}),
    source: where,
  };

  checkHost(host, where);
  return host;
}

/** Throws KPU_CPU_BAD_HOST_CONFIG when the model is impossible. */
export function checkHost(host: HostModel, where = "host"): void {
  const fail = (field: string, message: string): never => {
    throw new KpuError("KPU_CPU_BAD_HOST_CONFIG", message, { where: `${where}:${field}`, hint: "Fix the value in the host config file." });
  };
  if (host.isa === "avx512" && host.vectorBits < 512) fail("vectorBits", `avx512 needs vectorBits 512, got ${host.vectorBits}`);
  if ((host.isa === "avx2") && host.vectorBits !== 256) fail("vectorBits", `avx2 needs vectorBits 256, got ${host.vectorBits}`);
  if ((host.isa === "neon" || host.isa === "sse") && host.vectorBits !== 128) fail("vectorBits", `${host.isa} needs vectorBits 128, got ${host.vectorBits}`);
  for (const level of ["l1d", "l2", "l3"] as const) {
    const c = host[level];
    if (c.bytes % c.lineBytes !== 0) fail(level, `${level} size ${c.bytes} B is not a multiple of its line size ${c.lineBytes} B`);
    if ((c.bytes / c.lineBytes) % c.ways !== 0) fail(level, `${level} has ${c.bytes / c.lineBytes} lines, not divisible into ${c.ways} ways`);
  }
  if (host.l2.bytes < host.l1d.bytes) fail("l2", `L2 (${host.l2.bytes} B) is smaller than L1d (${host.l1d.bytes} B)`);
  if (host.l3.bytes < host.l2.bytes) fail("l3", `L3 (${host.l3.bytes} B) is smaller than L2 (${host.l2.bytes} B)`);
  if (host.bf16Dot === true && host.isa !== "avx512") fail("bf16Dot", `bf16Dot (AVX512-BF16 vdpbf16ps) needs isa avx512, got ${host.isa}`);
  if (host.vectorRegisters < 8) fail("vectorRegisters", `${host.vectorRegisters} vector registers cannot hold a register tile`);
}

/** Reads a host config (JSON or YAML) and applies it over `base` (default: the detected host). */
export function loadHostConfig(path: string, base: HostModel = detectHost()): HostModel {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new KpuError(readErrorCode(cause), "could not read the host config", { where: path, hint: "Check the path.", cause });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) as unknown;
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `not JSON or YAML (${(cause as Error).message})`, { where: path, hint: HOST_CONFIG_HINT, cause });
  }
  return applyHostConfig(base, raw, path);
}

/** One line for reports: `Intel Xeon, avx512 (512-bit, 32 regs), 2 cores, L1d 48 KiB/12-way, L2 2048 KiB, L3 ...`. */
export function describeHost(h: HostModel): string {
  const kib = (b: number): string => `${Math.round(b / KiB)} KiB`;
  return (
    `${h.name}, ${h.isa} (${h.vectorBits}-bit, ${h.vectorRegisters} regs, ${h.fmaUnits} FMA/cycle, latency ${h.fmaLatencyCycles}), ` +
    `${h.bf16Dot === true ? "bf16 dot product (vdpbf16ps), " : ""}${h.cores} cores, L1d ${kib(h.l1d.bytes)}/${h.l1d.ways}-way, L2 ${kib(h.l2.bytes)}/${h.l2.ways}-way, L3 ${kib(h.l3.bytes)}/${h.l3.ways}-way`
  );
}
