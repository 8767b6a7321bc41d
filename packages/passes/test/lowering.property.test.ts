import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GraphBuilder, LOOP_ORDERS, tileCount, type ExecUop, type MicroOp } from "@kpu/ir";
import { countUops, fuseGraph, lowerProgram, tileGraph } from "@kpu/passes";

const dim = fc.integer({ min: 1, max: 70 });
const tileDim = fc.integer({ min: 3, max: 40 });

/** Lexicographic comparison of two equally long keys: negative, zero or positive. */
function compareKeys(a: readonly number[], b: readonly number[]): number {
  const i = a.findIndex((x, j) => x !== b[j]);
  return i < 0 ? 0 : a[i]! - b[i]!;
}

/** A two-matmul chain with a fused ReLU between them, so lowering sees several ops in one stream. */
function chain(m: number, k: number, n: number, p: number) {
  const b = new GraphBuilder("chain");
  const x = b.input("x", [m, k]);
  const w1 = b.input("w1", [k, n]);
  const w2 = b.input("w2", [n, p]);
  const h = b.relu(b.matmul(x, w1, { name: "h0", id: "mm1" }), { name: "h", id: "relu" });
  b.output(b.matmul(h, w2, { name: "y", id: "mm2" }));
  return fuseGraph(b.build());
}

describe("lowering invariants (property-based)", () => {
  it("emits Mt*Nt*Kt EXECs per matmul, each step once, each preceded by the LOADs of its operand tiles, and one STORE per output tile after its last k", () => {
    fc.assert(
      fc.property(dim, dim, dim, dim, tileDim, tileDim, tileDim, fc.constantFrom(...LOOP_ORDERS), (m, k, n, p, tm, tn, tk, order) => {
        const tiled = tileGraph(chain(m, k, n, p), { tile: { m: tm, n: tn, k: tk } });
        const { uops } = lowerProgram(tiled, order);
        const counts = countUops(uops).perOp;
        for (const op of tiled.ops) {
          if (op.kind !== "matmul") continue;
          const { M, N, K, tile } = op;
          const mt = tileCount(M, Math.min(tile.m, M));
          const nt = tileCount(N, Math.min(tile.n, N));
          const kt = tileCount(K, Math.min(tile.k, K));
          expect(counts.get(op.opId)?.EXEC).toBe(mt * nt * kt);
          expect(counts.get(op.opId)?.STORE).toBe(mt * nt);

          const seen = new Set<string>();
          const lastExec = new Map<string, number>();
          const storeAt = new Map<string, number>();
          let macs = 0;
          uops.forEach((u: MicroOp, i) => {
            if (u.op !== op.opId) return;
            if (u.kind === "EXEC") {
              const key = `${u.m},${u.n},${u.k}`;
              expect(seen.has(key)).toBe(false);
              seen.add(key);
              macs += u.tm * u.tn * u.tk;
              const a = uops[i - 2]!;
              const b = uops[i - 1]!;
              expect(a).toMatchObject({ kind: "LOAD", operand: "A", tensor: op.a, row: u.m, col: u.k, rows: u.tm, cols: u.tk });
              expect(b).toMatchObject({ kind: "LOAD", operand: "B", tensor: op.b, row: u.k, col: u.n, rows: u.tk, cols: u.tn });
              expect(u.m).toBeLessThan(mt);
              expect(u.n).toBeLessThan(nt);
              expect(u.k).toBeLessThan(kt);
              lastExec.set(`${u.m},${u.n}`, i);
            } else if (u.kind === "STORE") {
              const key = `${u.row},${u.col}`;
              expect(storeAt.has(key)).toBe(false);
              storeAt.set(key, i);
            }
          });
          expect(seen.size).toBe(mt * nt * kt);
          // The EXECs cover the iteration space exactly: every MAC once.
          expect(macs).toBe(M * N * K);
          for (const [key, at] of storeAt) expect(at).toBeGreaterThan(lastExec.get(key)!);
          expect(storeAt.size).toBe(mt * nt);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("LOAD and STORE bytes equal rows x cols x element size, and stored tiles tile C exactly", () => {
    fc.assert(
      fc.property(dim, dim, dim, tileDim, fc.constantFrom(...LOOP_ORDERS), (m, k, n, t, order) => {
        const tiled = tileGraph(chain(m, k, n, 3), { tile: t });
        const { uops } = lowerProgram(tiled, order);
        let stored = 0;
        for (const u of uops) {
          if (u.kind === "LOAD" || u.kind === "STORE") expect(u.bytes).toBe(u.rows * u.cols * 4);
          if (u.kind === "STORE" && u.op === "mm1") stored += u.rows * u.cols;
        }
        expect(stored).toBe(m * n);
      }),
      { numRuns: 100 },
    );
  });

  it("the loop order decides the EXEC sequence", () => {
    const tiled = tileGraph(chain(64, 64, 64, 4), { tile: 32 });
    const first = (order: (typeof LOOP_ORDERS)[number]) =>
      lowerProgram(tiled, order)
        .uops.filter((u): u is ExecUop => u.kind === "EXEC")
        .slice(0, 3)
        .map((u) => `${u.m}${u.n}${u.k}`);
    expect(first("mnk")).toEqual(["000", "001", "010"]);
    expect(first("kmn")).toEqual(["000", "010", "100"]);
    expect(first("nkm")).toEqual(["000", "100", "001"]);
  });

  it("EXECs run in increasing order of the loop order's key: (outer, middle, inner) tile indices; for blocked, (block row, block column, k, m, n)", () => {
    const block = fc.record({ m: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 5 }) });
    fc.assert(
      fc.property(dim, dim, dim, tileDim, tileDim, tileDim, fc.constantFrom(...LOOP_ORDERS), block, (m, k, n, tm, tn, tk, order, b) => {
        const tiled = tileGraph(chain(m, k, n, 2), { tile: { m: tm, n: tn, k: tk } });
        const key = (u: ExecUop): number[] =>
          order === "blocked" ? [Math.floor(u.m / b.m), Math.floor(u.n / b.n), u.k, u.m, u.n] : order.split("").map((d) => u[d as "m" | "n" | "k"]);
        let previous: number[] | undefined;
        for (const u of lowerProgram(tiled, order, { block: b }).uops) {
          if (u.kind !== "EXEC" || u.op !== "mm1") continue;
          const next = key(u);
          // Strictly greater than the previous key: each step once, in the order's nesting.
          if (previous !== undefined) expect(compareKeys(next, previous)).toBeGreaterThan(0);
          previous = next;
        }
      }),
      { numRuns: 150 },
    );
  });
});
