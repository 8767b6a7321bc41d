export { runCli, createProgram, EXIT } from "./main.js";
export type { CliIo } from "./main.js";
export { compileCommand } from "./commands/compile/index.js";
export type { CompileFlags } from "./commands/compile/index.js";
export { runFrontend } from "./commands/compile/frontend.js";
export type { FrontendReport, FrontendResult } from "./commands/compile/frontend.js";
export { writeFileAtomic } from "./util/files.js";
