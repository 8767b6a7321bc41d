import { KpuError, parseByteSize } from "@kpu/ir";

/** Flags that are a matmul or model dimension: a bad value is KPU_BAD_DIM, as from the libraries. */
const DIMENSION_FLAGS: ReadonlySet<string> = new Set(["--m", "--n", "--k", "--seq"]);

/** Parses a flag that must be a positive integer (`--tile 32`), with an error naming the flag. */
export function positiveInt(flag: string, max = 2 ** 31): (text: string) => number {
  return (text: string) => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value <= 0 || value > max) {
      throw new KpuError(DIMENSION_FLAGS.has(flag) ? "KPU_BAD_DIM" : "KPU_BAD_FLAG", `"${text}" is not a positive integer${value > max ? ` up to ${max}` : ""}`, {
        where: flag,
        hint: `Pass a whole number such as ${flag} 32.`,
      });
    }
    return value;
  };
}

/** Parses a byte-size flag (`--sram 256KiB`). */
export function byteSize(flag: string): (text: string) => number {
  return (text: string) => parseByteSize(text, flag);
}

/** The error for a value that is not one of `choices`; commander's `.choices()` errors are mapped to the same. */
export function invalidChoice(flag: string, text: string, choices: readonly string[]): KpuError {
  return new KpuError("KPU_BAD_FLAG", `"${text}" is not one of ${choices.join(", ")}`, {
    where: flag,
    hint: `Use one of: ${choices.join(", ")}.`,
  });
}

/** Parses a flag whose value must be one of `choices`. */
export function oneOf<T extends string>(flag: string, choices: readonly T[]): (text: string) => T {
  return (text: string) => {
    if (!(choices as readonly string[]).includes(text)) throw invalidChoice(flag, text, choices);
    return text as T;
  };
}
