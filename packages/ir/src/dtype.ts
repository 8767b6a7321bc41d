/** Element types the toolkit models. Byte sizes drive every memory and traffic figure. */
/** int32 and int64 are for indices (gather); the fabric computes in the float types and int8. */
export const DTYPES = ["fp32", "fp16", "bf16", "int8", "int32", "int64"] as const;
export type DType = (typeof DTYPES)[number];

const BYTES: Readonly<Record<DType, number>> = { fp32: 4, fp16: 2, bf16: 2, int8: 1, int32: 4, int64: 8 };

export function dtypeBytes(dtype: DType): number {
  return BYTES[dtype];
}

export function isDType(value: string): value is DType {
  return (DTYPES as readonly string[]).includes(value);
}
