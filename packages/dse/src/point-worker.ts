// Worker entry for runDse's tinypool: each task is one point, the answer its DsePoint.
import type { DsePoint } from "@kpu/ir";
import { evaluatePoint, type PointTask } from "./point.js";

export default function runTask(task: PointTask): Promise<DsePoint> {
  return evaluatePoint(task);
}
