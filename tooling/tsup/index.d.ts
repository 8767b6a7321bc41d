import type { Options } from "tsup";

/** The shared tsup config; `entry` adds runtime entry points beside src/index.ts. */
export declare function kpuTsup(options?: { entry?: string[] }): Options | Options[] | ((overrideOptions: Options) => Options | Options[]);
