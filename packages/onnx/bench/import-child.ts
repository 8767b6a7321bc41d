// One import of the bench's file, alone in its process so its peak memory is the import's.
import { importOnnxModel } from "@kpu/onnx";

const t0 = performance.now();
const { report } = importOnnxModel(process.argv[2]!);
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, params: report.graphParams }));
