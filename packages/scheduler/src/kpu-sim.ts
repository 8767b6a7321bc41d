import type { L3Result } from "./l3.js";
import type { Workload } from "./presets.js";
import { STRATEGY_INFO } from "./strategy.js";

/** kpu-sim's CSV columns (l3_comprehensive_analysis.csv; the focused file omits Total_Tensor_MB). */
export const KPU_SIM_COLUMNS = [
  "Workload_Name",
  "Category",
  "Aspect",
  "M",
  "N",
  "K",
  "Strategy",
  "L3_Size_MB",
  "Overfetch_Total",
  "Overfetch_A",
  "Overfetch_B",
  "Overfetch_C",
  "L3_Hit_Rate",
  "L3_Utilization",
  "DRAM_Reads_MB",
  "Num_Evictions",
  "Tensor_A_MB",
  "Tensor_B_MB",
  "Tensor_C_MB",
  "Total_Tensor_MB",
] as const;

const MiB = 1024 * 1024;

/**
 * A double as C++'s default `ostream << double` prints it (printf `%g` with 6 significant digits): shortest of fixed
 * or exponent form, trailing zeros dropped, exact ties rounded to even as glibc does.
 */
export function formatCppDouble(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return "0";
  let s = x.toPrecision(6);
  // glibc rounds the exact binary value half-to-even; JavaScript rounds exact ties up.
  const exact = Math.abs(x).toPrecision(40);
  const digits = exact.replace(/e.*$/, "").replace(".", "").replace(/^0+/, "");
  if (/^\d{6}50*$/.test(digits.replace(/0+$/, "").padEnd(7, "0")) && digits.length > 6) {
    const lastKept = Number(digits[5]);
    if (lastKept % 2 === 0) {
      // round down instead: truncate to 6 significant digits
      const sign = x < 0 ? -1 : 1;
      const e = Math.floor(Math.log10(Math.abs(x)));
      const scale = 10 ** (5 - e);
      const truncated = (sign * Math.trunc(Math.abs(x) * scale + 1e-9)) / scale;
      s = truncated.toPrecision(6);
    }
  }
  const [mant, expPart] = s.split("e");
  const exp = expPart === undefined ? Math.floor(Math.log10(Math.abs(Number(s)))) : Number(expPart);
  if (exp < -4 || exp >= 6) {
    const m = Number(mant ?? s).toPrecision(6).replace(/\.?0+$/, "");
    const ex = Math.abs(exp).toString().padStart(2, "0");
    return `${m}e${exp < 0 ? "-" : "+"}${ex}`;
  }
  const fixed = Number(s).toFixed(Math.max(0, 5 - exp));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/** kpu-sim's CSV values for one result of the kpu-sim model (integers truncated to whole MiB as kpu-sim does). */
export function kpuSimRecord(workload: Workload, r: L3Result): Record<(typeof KPU_SIM_COLUMNS)[number], string> {
  const ta = Math.floor(r.tensors.a.exactBytes / MiB);
  const tb = Math.floor(r.tensors.b.exactBytes / MiB);
  const tc = Math.floor(r.tensors.c.exactBytes / MiB);
  return {
    Workload_Name: workload.name,
    Category: workload.category,
    Aspect: workload.aspect,
    M: String(workload.m),
    N: String(workload.n),
    K: String(workload.k),
    Strategy: STRATEGY_INFO[r.strategy].label,
    L3_Size_MB: String(Math.floor(r.l3Bytes / MiB)),
    Overfetch_Total: formatCppDouble(r.kpuSimOverfetchTotal),
    Overfetch_A: formatCppDouble(r.tensors.a.readBytes / r.tensors.a.exactBytes),
    Overfetch_B: formatCppDouble(r.tensors.b.readBytes / r.tensors.b.exactBytes),
    Overfetch_C: formatCppDouble(r.tensors.c.readBytes / r.tensors.c.exactBytes),
    L3_Hit_Rate: formatCppDouble(r.hitRate),
    L3_Utilization: formatCppDouble(r.utilization),
    DRAM_Reads_MB: String(Math.floor(r.dramReadBytes / MiB)),
    Num_Evictions: String(r.evictions),
    Tensor_A_MB: String(ta),
    Tensor_B_MB: String(tb),
    Tensor_C_MB: String(tc),
    Total_Tensor_MB: String(ta + tb + tc),
  };
}
