import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importOnnxModel } from "@kpu/onnx";
import { countMacs } from "./macs.js";
import { attr, constant, node, valueInfo, weight, writeModel } from "./onnx-writer.js";

const dir = mkdtempSync(join(tmpdir(), "onnx-prop-"));
let n = 0;

/** ONNX's conv output size (operators.md), written from the spec: explicit pads, SAME_* or VALID. */
function specOutput(size: number, k: number, s: number, d: number, pb: number, pe: number, autoPad: string): number {
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return Math.ceil(size / s);
  if (autoPad === "VALID") return Math.ceil((size - d * (k - 1)) / s);
  return Math.floor((size + pb + pe - d * (k - 1) - 1) / s) + 1;
}

describe("properties", () => {
  it("an imported Conv has the spec's output shape and N*OC*OH*OW*C/g*KH*KW MACs", () => {
    const conv = fc.record({
      h: fc.integer({ min: 5, max: 20 }),
      w: fc.integer({ min: 5, max: 20 }),
      k: fc.integer({ min: 1, max: 4 }),
      s: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 2 }),
      pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
      groups: fc.constantFrom(1, 2, 4),
      cPerGroup: fc.integer({ min: 1, max: 3 }),
      ocPerGroup: fc.integer({ min: 1, max: 3 }),
      autoPad: fc.constantFrom("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"),
      batch: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(conv, (p) => {
        const c = p.cPerGroup * p.groups;
        const oc = p.ocPerGroup * p.groups;
        const oh = specOutput(p.h, p.k, p.s, p.d, p.pads[0], p.pads[2], p.autoPad);
        const ow = specOutput(p.w, p.k, p.s, p.d, p.pads[1], p.pads[3], p.autoPad);
        fc.pre(oh > 0 && ow > 0);
        const attrs = [attr.ints("kernel_shape", [p.k, p.k]), attr.ints("strides", [p.s, p.s]), attr.ints("dilations", [p.d, p.d]), attr.i("group", p.groups)];
        attrs.push(p.autoPad === "NOTSET" ? attr.ints("pads", [...p.pads]) : attr.s("auto_pad", p.autoPad));
        const path = writeModel(join(dir, `conv${n++}.onnx`), {
          inputs: [valueInfo("x", ["N", c, p.h, p.w])],
          outputs: [valueInfo("y", ["N", oc, oh, ow])],
          initializers: [weight("w", [oc, p.cPerGroup, p.k, p.k])],
          nodes: [node("Conv", ["x", "w"], ["y"], attrs)],
        });
        const { graph } = importOnnxModel(path, { batch: p.batch });
        expect(graph.tensors.find((t) => t.name === "y")?.shape).toEqual([p.batch, oc, oh, ow]);
        expect(countMacs(graph)).toBe(p.batch * oc * oh * ow * p.cPerGroup * p.k * p.k);
        if (p.autoPad.startsWith("SAME")) {
          // the spec: total padding (out - 1) * s + d * (k - 1) + 1 - in, the odd one at the end (UPPER) or start (LOWER)
          const [top, left, bottom, right] = (graph.ops[0] as unknown as { padding: number[] }).padding as [number, number, number, number];
          const total = (o: number, size: number) => Math.max(0, (o - 1) * p.s + p.d * (p.k - 1) + 1 - size);
          expect([top + bottom, left + right]).toEqual([total(oh, p.h), total(ow, p.w)]);
          const extraAtEnd = p.autoPad === "SAME_UPPER";
          expect(extraAtEnd ? bottom - top : top - bottom).toBe(total(oh, p.h) % 2);
          expect(extraAtEnd ? right - left : left - right).toBe(total(ow, p.w) % 2);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("constant Slices fold to what Python's slicing gives (any step sign, clamped bounds)", () => {
    const slice = fc.record({
      dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 7 }),
      start: fc.integer({ min: -9, max: 9 }),
      end: fc.integer({ min: -9, max: 9 }),
      step: fc.constantFrom(-2, -1, 1, 2, 3),
    });
    fc.assert(
      fc.property(slice, ({ dims, start, end, step }) => {
        // the reference: Python's range semantics for a slice of a list
        const len = dims.length;
        const norm = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + len : v));
        const [lo, hi] = step > 0 ? [0, len] : [-1, len - 1];
        const picked: number[] = [];
        for (let i = norm(start, lo, hi); step > 0 ? i < norm(end, lo, hi) : i > norm(end, lo, hi); i += step) picked.push(dims[i]!);
        fc.pre(picked.length > 0);
        const count = picked.reduce((p, d) => p * d, 1);
        const i64 = (name: string, v: number[]) => constant(name, { dims: [v.length], data_type: 7, int64_data: v });
        const path = writeModel(join(dir, `slice${n++}.onnx`), {
          inputs: [valueInfo("x", [count])],
          outputs: [valueInfo("y", picked)],
          nodes: [i64("dims", dims), i64("s", [start]), i64("e", [end]), i64("a", [0]), i64("st", [step]), node("Slice", ["dims", "s", "e", "a", "st"], ["shape"]), node("Reshape", ["x", "shape"], ["y"])],
        });
        expect(importOnnxModel(path).graph.tensors.find((t) => t.name === "y")?.shape).toEqual(picked);
      }),
      { numRuns: 100 },
    );
  });
});
