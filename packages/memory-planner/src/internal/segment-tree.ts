/** Range add and range max over positions 0..n-1 (lazy segment tree on typed arrays). */
export class MaxSegmentTree {
  private readonly n: number;
  private readonly max: Float64Array;
  private readonly lazy: Float64Array;

  constructor(values: ArrayLike<number>) {
    this.n = Math.max(1, values.length);
    this.max = new Float64Array(4 * this.n);
    this.lazy = new Float64Array(4 * this.n);
    this.build(1, 0, this.n - 1, values);
  }

  private build(node: number, lo: number, hi: number, values: ArrayLike<number>): void {
    if (lo === hi) {
      this.max[node] = values[lo] ?? 0;
      return;
    }
    const mid = (lo + hi) >> 1;
    this.build(2 * node, lo, mid, values);
    this.build(2 * node + 1, mid + 1, hi, values);
    this.max[node] = Math.max(this.max[2 * node]!, this.max[2 * node + 1]!);
  }

  /** Adds `delta` to positions [from, to] (inclusive). */
  add(from: number, to: number, delta: number): void {
    this.update(1, 0, this.n - 1, from, to, delta);
  }

  /** Max over positions [from, to] (inclusive). */
  query(from: number, to: number): number {
    return this.ask(1, 0, this.n - 1, from, to);
  }

  private update(node: number, lo: number, hi: number, from: number, to: number, delta: number): void {
    if (to < lo || hi < from) return;
    if (from <= lo && hi <= to) {
      this.max[node] = this.max[node]! + delta;
      this.lazy[node] = this.lazy[node]! + delta;
      return;
    }
    const mid = (lo + hi) >> 1;
    this.update(2 * node, lo, mid, from, to, delta);
    this.update(2 * node + 1, mid + 1, hi, from, to, delta);
    this.max[node] = Math.max(this.max[2 * node]!, this.max[2 * node + 1]!) + this.lazy[node]!;
  }

  private ask(node: number, lo: number, hi: number, from: number, to: number): number {
    if (to < lo || hi < from) return -Infinity;
    if (from <= lo && hi <= to) return this.max[node]!;
    const mid = (lo + hi) >> 1;
    return Math.max(this.ask(2 * node, lo, mid, from, to), this.ask(2 * node + 1, mid + 1, hi, from, to)) + this.lazy[node]!;
  }
}
