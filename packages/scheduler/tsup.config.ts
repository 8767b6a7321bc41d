import { kpuTsup } from "@kpu/tsup-config";

export default kpuTsup({ entry: ["src/sweep-worker.ts"] });
