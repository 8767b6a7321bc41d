import { kpuConfig } from "@kpu/eslint-config";

export default kpuConfig(import.meta.dirname);
