import { baseConfig } from "@kpu/vitest-config";
import { defineProject, mergeConfig } from "vitest/config";

export default mergeConfig(baseConfig, defineProject({ test: {} }));
