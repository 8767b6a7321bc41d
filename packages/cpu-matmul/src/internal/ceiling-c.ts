/**
 * C source of the attainable-rate probe: per thread, (1) the register tile's inner step (MR broadcast loads of packed
 * A, NRv vector loads of packed B, MR x NRv FMAs) on L1-resident panels, and (2) a sequential read of a buffer larger
 * than L2. Prints {"kernelGflops":..., "streamGBps":...}. Best of `repeats`; args: threads reps repeats streamBytes.
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
  int threads = atoi(argv[1]); long reps = atol(argv[2]); int repeats = atoi(argv[3]); long stream_bytes = atol(argv[4]);
  omp_set_num_threads(threads);
  double best_k = 0, best_s = 0; volatile float sink = 0;
  long per = stream_bytes / threads / (long)sizeof(V);
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
    V *buf[1024];
    #pragma omp parallel
    {
      int t = omp_get_thread_num();
      buf[t] = aligned_alloc(64, (size_t)per * sizeof(V));
      for (long x = 0; x < per; x++) buf[t][x] = (V){0} + 1e-3f;
    }
    double t1 = now();
    #pragma omp parallel
    {
      const V *p = buf[omp_get_thread_num()];
      V a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
      for (int pass = 0; pass < 4; pass++)
        for (long x = 0; x + 3 < per; x += 4) { a0 += p[x]; a1 += p[x + 1]; a2 += p[x + 2]; a3 += p[x + 3]; }
      V s = a0 + a1 + a2 + a3;
      sink += s[0];
    }
    double gs = 4.0 * (double)per * (double)sizeof(V) * threads / (now() - t1) / 1e9;
    if (gs > best_s) best_s = gs;
    #pragma omp parallel
    free(buf[omp_get_thread_num()]);
  }
  printf("{\"kernelGflops\":%.3f,\"streamGBps\":%.3f}\n", best_k, best_s);
  return 0;
}
`;
}
