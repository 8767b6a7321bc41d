import type { Command } from "commander";
import { KpuError, type Graph } from "@kpu/ir";
import { EXAMPLE_NAMES, MODEL_EXAMPLES, PHASES, buildExample, networkFromText, type NetworkOptions, type Phase } from "@kpu/models";
import { importOnnx } from "@kpu/onnx";
import { positiveInt, oneOf } from "./flags.js";
import { readTextFile } from "./files.js";

export { EXAMPLE_NAMES };

/** A network named on the command line: a file or `--example NAME`, with the sizes a model definition leaves open. */
export interface NetworkSource extends NetworkOptions {
  readonly file?: string | undefined;
  readonly example?: string | undefined;
  /** ONNX: keep going past unsupported nodes, reporting them as unmodelled layers. */
  readonly allowUnsupported?: boolean | undefined;
}

/**
 * Loads the network of a command: a `.json` graph (kpu.graph), a Hugging Face `config.json`, a SCALE-Sim `.csv`
 * topology, an `.onnx` file, or a built-in example (default: mlp). The one model loader of the CLI.
 */
export function loadNetwork(source: NetworkSource): Graph {
  if (source.file !== undefined && source.example !== undefined) {
    throw new KpuError("KPU_USAGE", "both a model file and --example were given", {
      where: "--example",
      hint: "Pass either a model file or --example, not both.",
    });
  }
  const { file, example, allowUnsupported, ...options } = source;
  if (file === undefined) return buildExample(example ?? "mlp", options);
  if (/\.onnx$/i.test(file)) return importOnnx(file, { batch: options.batch, seq: options.seq, allowUnsupported });
  return networkFromText(readTextFile(file), file, options);
}

/** The flags of loadNetwork, for commands that take real networks (`kpu analyze`): the one definition of them. */
export function addNetworkFlags(command: Command): Command {
  return command
    .option("--example <name>", `a built-in network instead of a model file (${EXAMPLE_NAMES.join(", ")})`)
    .option("--seq <S>", "tokens per sequence for transformers (default 128)", positiveInt("--seq"))
    .option("--batch <B>", "sequences or images per inference (default 1)", positiveInt("--batch"))
    .option("--phase <phase>", "decoders: prefill (the prompt at once) or decode (one token against a KV cache)", oneOf("--phase", PHASES))
    .option("--context <C>", "decode: tokens in the KV cache", positiveInt("--context"))
    .option("--allow-unsupported", "ONNX: keep going past unsupported nodes, reporting them as unmodelled");
}

/** Flags given that the chosen network does not use, as warnings (`--seq` for resnet50, `--context` in prefill). */
export function networkFlagWarnings(source: NetworkSource & { readonly phase?: Phase | undefined }): string[] {
  const out: string[] = [];
  const takes = source.example === undefined ? undefined : MODEL_EXAMPLES[source.example]?.takes;
  if (takes !== undefined) {
    for (const flag of ["batch", "seq", "phase"] as const) {
      if (source[flag] !== undefined && !takes.includes(flag)) out.push(`--${flag} has no effect on --example ${source.example}`);
    }
  }
  if (source.context !== undefined && source.phase !== "decode") out.push("--context has no effect without --phase decode");
  return out;
}
