import { KpuError } from "@kpu/ir";
import type { AnyJobKind } from "./job-kind.js";
import { DSE_KIND } from "./kinds/dse.js";
import { SWEEP_KIND } from "./kinds/sweep.js";
import { TUNE_KIND } from "./kinds/tune.js";
import { toolVersion } from "./version.js";

/** Every job kind this version runs, by name. */
export const JOB_KINDS: Readonly<Record<string, AnyJobKind>> = {
  sweep: SWEEP_KIND,
  dse: DSE_KIND,
  tune: TUNE_KIND,
};

/** Parses `--kinds sweep,tune`; an unknown kind is KPU_BAD_FLAG listing the known ones. */
export function parseKinds(text: string, flag = "--kinds"): AnyJobKind[] {
  const names = [...new Set(text.split(",").map((s) => s.trim()).filter((s) => s !== ""))];
  if (names.length === 0) throw new KpuError("KPU_BAD_FLAG", `"${text}" names no job kind`, { where: flag, hint: `Give some of: ${Object.keys(JOB_KINDS).join(", ")}.` });
  return names.map((n) => {
    const kind = JOB_KINDS[n];
    if (kind === undefined) {
      throw new KpuError("KPU_BAD_FLAG", `"${n}" is not a job kind of kpu ${toolVersion()} (known: ${Object.keys(JOB_KINDS).join(", ")})`, { where: flag, hint: `Give some of: ${Object.keys(JOB_KINDS).join(", ")}.` });
    }
    return kind;
  });
}
