// Worker entry for mapGemm's tinypool: each task is a list of slices of the space, the answer their best two and counts.
import type { Hardware } from "@kpu/kpu-model";
import type { GemmShape } from "./cost.js";
import { searchSlices, type Objective, type Slice, type SliceResult } from "./search.js";

export default function runTask(task: { hw: Hardware; shape: GemmShape; objective: Objective; slices: Slice[] }): SliceResult {
  return searchSlices(task.hw, task.shape, task.objective, task.slices);
}
