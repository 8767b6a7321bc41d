// The check against real exported models (not in CI: it needs the files that scripts/export-torchvision.py writes):
//   pnpm --filter @kpu/onnx exec tsx --conditions=@kpu/source bench/real-models.ts /tmp/onnx-models
// prints, per file, the import time, the graph's parameters against the file's float initializers, and the MACs
// counted from the graph against the published number.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { importOnnxModel } from "@kpu/onnx";
import { countMacs, countParams } from "../test/macs.js";

/** Published MACs (torchvision's model docs: GFLOPS there are multiply-accumulates) and parameters. */
const PUBLISHED: Record<string, { macs: number; params: number }> = {
  resnet50: { macs: 4.09e9, params: 25.56e6 },
  mobilenet_v2: { macs: 0.3e9, params: 3.5e6 },
  vit_b_16: { macs: 17.56e9, params: 86.57e6 },
};

const dir = process.argv[2] ?? "/tmp/onnx-models";
console.log("| file | import s | graph params | file float-initializer elements | published params | MACs (graph) | published MACs | MACs / published |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const f of readdirSync(dir).filter((x) => x.endsWith(".onnx")).sort()) {
  const t0 = performance.now();
  const { graph, report } = importOnnxModel(join(dir, f), { batch: 1 });
  const seconds = (performance.now() - t0) / 1000;
  const pub = PUBLISHED[Object.keys(PUBLISHED).find((k) => f.startsWith(k)) ?? ""];
  const macs = countMacs(graph);
  const fmt = (n: number) => n.toLocaleString("en-US");
  const ratio = pub === undefined ? "" : (macs / pub.macs).toFixed(4);
  console.log(`| ${f} | ${seconds.toFixed(2)} | ${fmt(countParams(graph))} | ${fmt(report.initializerParams)} | ${pub === undefined ? "" : fmt(pub.params)} | ${fmt(macs)} | ${pub === undefined ? "" : fmt(pub.macs)} | ${ratio} |`);
}
