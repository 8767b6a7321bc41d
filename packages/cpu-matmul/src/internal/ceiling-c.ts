/**
 * C source of the attainable-rate probe: per thread, (1) the register tile's inner step (MR broadcast loads of packed
 * A, NRv vector loads of packed B, MR x NRv FMAs) on L1-resident panels, and (2) the sequential read bandwidth of three
 * buffers per thread, sized for L2, L3 and DRAM. Prints {"kernelGflops", "l2GBps", "l3GBps", "dramGBps"}. Best of
 * `repeats`; args: threads reps repeats l2BytesPerThread l3BytesPerThread dramBytesPerThread.
 */
export function ceilingMain(mr: number, nv: number, lanes: number, kc: number): string {
  const nr = nv * lanes;
  const accs = Array.from({ length: mr }, (_, r) => Array.from({ length: nv }, (_, v) => `c${r}_${v}`));
  const step = [
    ...Array.from({ length: nv }, (_, v) => `const V b${v} = *(const V *)(pb + k * ${nr} + ${v * lanes});`),
    ...accs.map((row, r) => `{ const float a = pa[k * ${mr} + ${r}]; ${row.map((c, v) => `${c} += b${v} * a;`).join(" ")} }`),
  ];
  return String.raw`#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <omp.h>
typedef float V __attribute__((vector_size(${lanes * 4})));
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + (double)t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  int threads = atoi(argv[1]); long reps = atol(argv[2]); int repeats = atoi(argv[3]);
  long level_bytes[3] = { atol(argv[4]), atol(argv[5]), atol(argv[6]) };
  omp_set_num_threads(threads);
  double best_k = 0; volatile float sink = 0; static float sink_f;
  for (int r = 0; r < repeats; r++) {
    double t0 = now();
    #pragma omp parallel
    {
      float *pa = aligned_alloc(64, ${mr * kc * 4}), *pb = aligned_alloc(64, ${kc * nr * 4});
      for (int x = 0; x < ${mr * kc}; x++) pa[x] = 1e-6f;
      for (int x = 0; x < ${kc * nr}; x++) pb[x] = 1e-6f;
      ${accs.flat().map((c) => `V ${c} = {0};`).join(" ")}
      for (long it = 0; it < reps; it++) {
        __asm__ volatile("" ::: "memory");
        for (long k = 0; k < ${kc}; k++) {
          ${step.join("\n          ")}
        }
      }
      V s = ${accs.flat().join(" + ")};
      sink += s[0];
      free(pa); free(pb);
    }
    double gk = (double)threads * (double)reps * ${kc} * ${mr * nr} * 2.0 / (now() - t0) / 1e9;
    if (gk > best_k) best_k = gk;
  }
  /* Sequential read bandwidth per level: each thread reads its own buffer (first touched by that thread), sized for
     the level (args 5..7: bytes per thread), with 8 independent accumulators so the adds never limit the loads. */
  double bw[3] = {0, 0, 0};
  for (int level = 0; level < 3; level++) {
    long per = level_bytes[level] / (long)sizeof(V);
    long passes = per * (long)sizeof(V) >= (64L << 20) ? 1 : (64L << 20) / (per * (long)sizeof(V));
    V *buf[1024];
    #pragma omp parallel
    {
      int t = omp_get_thread_num();
      buf[t] = aligned_alloc(64, (size_t)per * sizeof(V));
      for (long x = 0; x < per; x++) buf[t][x] = (V){0} + 1e-3f;
    }
    for (int r = 0; r < repeats; r++) {
      double t1 = 0;
      #pragma omp parallel
      {
        const V *p = buf[omp_get_thread_num()];
        for (long x = 0; x < per; x += 16) __asm__ volatile("" :: "r"(p[x][0]));
        #pragma omp barrier
        #pragma omp single
        t1 = now();
        V a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
        for (long pass = 0; pass < passes; pass++) {
          __asm__ volatile("" ::: "memory");
          for (long x = 0; x + 7 < per; x += 8) { a0 += p[x]; a1 += p[x + 1]; a2 += p[x + 2]; a3 += p[x + 3]; a4 += p[x + 4]; a5 += p[x + 5]; a6 += p[x + 6]; a7 += p[x + 7]; }
        }
        V s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
        #pragma omp atomic
        sink_f += s[0];
      }
      double gs = (double)passes * (double)(per / 8 * 8) * (double)sizeof(V) * threads / (now() - t1) / 1e9;
      if (gs > bw[level]) bw[level] = gs;
    }
    #pragma omp parallel
    free(buf[omp_get_thread_num()]);
  }
  printf("{\"kernelGflops\":%.3f,\"l2GBps\":%.3f,\"l3GBps\":%.3f,\"dramGBps\":%.3f}\n", best_k, bw[0], bw[1], bw[2]);
  (void)sink;
  return 0;
}
`;
}
