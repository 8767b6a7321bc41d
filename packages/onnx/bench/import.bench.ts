// pnpm bench: imports a generated 350 MB ONNX file (a 24-layer MLP whose weights are in raw_data) in a child process,
// several runs, and prints the median time and peak memory (peak RSS of the child, which includes Node and tsx) against
// the targets: under 5 s and under 500 MB.
import { spawnSync } from "node:child_process";
import { rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onnxSchema } from "@kpu/onnx";

const TARGET_SECONDS = 5;
const TARGET_MB = 500;
const runs = Number(process.env.BENCH_RUNS ?? 3);
const [layers, width, hidden] = [24, 2048, 1792];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** x[1, width] -> (MatMul [width, hidden] -> Add -> Relu -> MatMul [hidden, width] -> Add) x layers/2. */
function writeBigModel(path: string): number {
  const initializer = [];
  const node = [];
  let x = "x";
  for (let l = 0; l < layers; l++) {
    const [k, n] = l % 2 === 0 ? [width, hidden] : [hidden, width];
    initializer.push({ name: `w${l}`, dims: [k, n], data_type: 1, raw_data: new Uint8Array(k * n * 4) });
    initializer.push({ name: `b${l}`, dims: [n], data_type: 1, raw_data: new Uint8Array(n * 4) });
    node.push({ op_type: "MatMul", input: [x, `w${l}`], output: [`mm${l}`], name: `mm${l}` });
    node.push({ op_type: "Add", input: [`mm${l}`, `b${l}`], output: [`a${l}`], name: `add${l}` });
    node.push({ op_type: "Relu", input: [`a${l}`], output: [`r${l}`], name: `relu${l}` });
    x = `r${l}`;
  }
  const vi = (name: string) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 1 }, { dim_value: width }] } } } });
  const Model = onnxSchema().lookupType("onnx.ModelProto");
  const model = Model.fromObject({ ir_version: 8, opset_import: [{ domain: "", version: 17 }], graph: { name: "big-mlp", node, initializer, input: [vi("x")], output: [vi(x)] } });
  writeFileSync(path, Model.encode(model).finish());
  return statSync(path).size;
}

const file = join(tmpdir(), `kpu-onnx-bench-${process.pid}.onnx`);
try {
  const bytes = writeBigModel(file);
  console.log(`generated ${(bytes / 1e6).toFixed(0)} MB ONNX (${layers} MatMul layers), ${runs} runs in a child process`);
  const child = join(import.meta.dirname, "import-child.ts");
  const seconds: number[] = [];
  const rss: number[] = [];
  for (let r = 0; r < runs; r++) {
    const out = spawnSync(process.execPath, [...process.execArgv, child, file], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(`the import child failed: ${out.stderr}`);
    const result = JSON.parse(out.stdout) as { seconds: number; maxRssMB: number; params: number };
    seconds.push(result.seconds);
    rss.push(result.maxRssMB);
  }
  const [t, m] = [median(seconds), median(rss)];
  console.log(`import: median ${t.toFixed(2)} s (runs ${seconds.map((s) => s.toFixed(2)).join(", ")}), ${(t / TARGET_SECONDS).toFixed(2)}x the ${TARGET_SECONDS} s target`);
  console.log(`memory: median peak RSS ${m.toFixed(0)} MB (runs ${rss.map((x) => x.toFixed(0)).join(", ")}), ${(m / TARGET_MB).toFixed(2)}x the ${TARGET_MB} MB target`);
} finally {
  rmSync(file, { force: true });
}
