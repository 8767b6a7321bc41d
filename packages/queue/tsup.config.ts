import { kpuTsup } from "@kpu/tsup-config";

export default kpuTsup();
