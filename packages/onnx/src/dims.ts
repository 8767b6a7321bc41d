import { KpuError } from "@kpu/ir";
import { toNumber, type OnnxValueInfo } from "./schema.js";

/** Values for the dynamic dimensions (dim_param) of a model's inputs. */
export interface DimOptions {
  /** The batch size: dimensions named like a batch, and the first dimension of an input. */
  readonly batch?: number | undefined;
  /** The sequence length: dimensions named like a sequence, and the second dimension of an input of rank 2 or 3. */
  readonly seq?: number | undefined;
  /** Values by dim_param name, before the two rules above. */
  readonly dims?: Readonly<Record<string, number>> | undefined;
}

const BATCH = /batch|^n$|^b$/i;
const SEQ = /seq|sequence|len|token|position|time|^s$|^t$/i;

/** Which option a dynamic dimension takes: by its name, else by its place (0: batch; 1 of rank 2 or 3: seq). */
function role(param: string, index: number, rank: number): "batch" | "seq" | undefined {
  if (BATCH.test(param)) return "batch";
  if (SEQ.test(param)) return "seq";
  if (index === 0) return "batch";
  if (index === 1 && rank <= 3) return "seq";
  return undefined;
}

/** The static shape of a graph input; a dynamic dimension without a value is an error naming the input and dimension. */
export function inputShape(input: OnnxValueInfo, options: DimOptions, file: string): number[] {
  const dims = input.type?.tensor_type?.shape?.dim ?? [];
  const shape = dims.map((d, i) => {
    if (d.value === "dim_value" && toNumber(d.dim_value) > 0) return toNumber(d.dim_value);
    const param = d.value === "dim_param" ? d.dim_param : "";
    const given = options.dims?.[param];
    const r = role(param, i, dims.length);
    const value = given ?? (r === undefined ? undefined : options[r]);
    if (value === undefined || !Number.isInteger(value) || value < 1) {
      const flag = r === undefined ? "the importer's dims option" : `--${r}`;
      const what = param === "" ? "is dynamic (no size and no name)" : `is "${param}"`;
      throw new KpuError("KPU_ONNX_DYNAMIC_DIM", `input "${input.name}" dimension ${i} ${what}, and no value was given`, {
        where: file,
        hint: `Give it with ${flag}${param === "" ? "" : ` (dims: { "${param}": N })`}.`,
      });
    }
    return value;
  });
  return shape.length === 0 ? [1] : shape;
}
