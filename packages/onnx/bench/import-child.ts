// One import of the bench's file, alone in its process so its peak memory is the import's: VmHWM, the peak resident
// set of this process image (getrusage's maxRSS would also count the parent's pages at the fork before exec).
import { readFileSync } from "node:fs";
import { importOnnxModel } from "@kpu/onnx";

const t0 = performance.now();
const { report } = importOnnxModel(process.argv[2]!);
const seconds = (performance.now() - t0) / 1000;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
const maxRssMB = hwm === undefined ? process.resourceUsage().maxRSS / 1024 : Number(hwm) / 1024;
console.log(JSON.stringify({ seconds, maxRssMB, params: report.graphParams }));
