import { kpuTsup } from "@kpu/tsup-config";

export default kpuTsup({ entry: ["src/search-worker.ts"] });
