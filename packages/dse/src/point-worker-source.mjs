// Worker entry when @kpu/dse runs from its TypeScript sources (tests, tsx): registers tsx's loader in this worker
// thread, then re-exports the TypeScript entry. The built package uses dist/point-worker.js instead.
import { register } from "tsx/esm/api";

register();
const entry = await import("./point-worker.ts");
export default entry.default;
