import pkg from "../package.json" with { type: "json" };
import { queueFaults } from "./faults.js";

/** The kpu version this build is (every published package shares it); a test fault can pose as another. */
export function toolVersion(): string {
  return queueFaults().version ?? pkg.version;
}
