// Worker entry when @kpu/mapper runs from its TypeScript sources (tests, tsx): registers tsx's loader in this worker
// thread, then re-exports the TypeScript entry. The built package uses dist/search-worker.js instead.
import { register } from "tsx/esm/api";

register();
const entry = await import("./search-worker.ts");
export default entry.default;
