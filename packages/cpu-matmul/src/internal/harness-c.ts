import { peerMissingReason } from "../peers.js";

/**
 * The native runner's main translation unit: checks against a reference, warms up, times, and watches for disturbance
 * two ways. /proc/stat shows CPU time other processes of this machine used (and hypervisor steal); a compute canary
 * (a fixed FMA loop on every thread, timed before and after each window against the fastest it ever ran in this
 * process) shows what /proc/stat cannot: a physical core shared with another guest, or a lowered clock.
 */
/** A canary more than this much slower than its best in the runner marks the window as disturbed (15%). */
export const CANARY_SLOWDOWN = 0.15;

export const HARNESS_MAIN = String.raw`#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <omp.h>

typedef void (*kpu_fn)(const float *restrict, const float *restrict, float *restrict);
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*kpu_fn16)(const unsigned short *restrict, const unsigned short *restrict, float *restrict);
typedef int (*dnnl_sgemm_fn)(char, char, long long, long long, long long, float, const float *, long long, const float *, long long, float, float *, long long);
typedef int (*dnnl_bf16_fn)(char, char, long long, long long, long long, float, const unsigned short *, long long, const unsigned short *, long long, float, float *, long long);
/* blas: 0 a generated kernel, 1 OpenBLAS, 2 BLIS (cblas_sgemm), 3 oneDNN (dnnl_sgemm), 4 oneDNN bf16
   (dnnl_gemm_bf16bf16f32). A bf16 entry (fn16 set, or blas 4) takes A and B in bfloat16, C in float32. */
struct kpu_entry { long m, n, k; kpu_fn fn; int blas; kpu_fn16 fn16; };

static sgemm_fn p_openblas, p_blis;
static dnnl_sgemm_fn p_dnnl;
static dnnl_bf16_fn p_dnnl_bf16;
static void *h_dnnl;
static int g_status;
static const char *peer_core[5] = { "", "", "", "", "" };
static int peer_tried[5];
static long g_m, g_n, g_k;
static void kpu_openblas(const float *restrict A, const float *restrict B, float *restrict C) {
  p_openblas(101, 111, 111, (int)g_m, (int)g_n, (int)g_k, 1.0f, A, (int)g_k, B, (int)g_n, 0.0f, C, (int)g_n);
}
static void kpu_blis(const float *restrict A, const float *restrict B, float *restrict C) {
  p_blis(101, 111, 111, (int)g_m, (int)g_n, (int)g_k, 1.0f, A, (int)g_k, B, (int)g_n, 0.0f, C, (int)g_n);
}
static void kpu_onednn(const float *restrict A, const float *restrict B, float *restrict C) {
  p_dnnl('N', 'N', g_m, g_n, g_k, 1.0f, A, g_k, B, g_n, 0.0f, C, g_n);
}
static void kpu_onednn_bf16(const unsigned short *restrict A, const unsigned short *restrict B, float *restrict C) {
  g_status = p_dnnl_bf16('N', 'N', g_m, g_n, g_k, 1.0f, A, g_k, B, g_n, 0.0f, C, g_n);
}

/*BLIS_ARCH*/
/*KERNELS*/

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + (double)t.tv_nsec * 1e-9; }
static double own_cpu(void) {
  struct rusage r; getrusage(RUSAGE_SELF, &r);
  return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec * 1e-6 + (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec * 1e-6;
}
/* Busy seconds of all CPUs (user, nice, system, irq, softirq, steal) from /proc/stat. */
static int read_busy(double *busy) {
  FILE *f = fopen("/proc/stat", "r");
  unsigned long long u, n, s, i, io, irq, sirq, st;
  if (f == NULL) return 0;
  int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &s, &i, &io, &irq, &sirq, &st);
  fclose(f);
  if (got != 8) return 0;
  *busy = (double)(u + n + s + irq + sirq + st) / (double)sysconf(_SC_CLK_TCK);
  return 1;
}
/*
 * The canary: 16 independent 8-lane FMA chains per thread for 200000 steps (~0.5 ms at 3 GHz), all threads at once.
 * Each thread times its own loop (so waking the thread team is not counted); the slowest thread's time is compared
 * with the fastest canary of this process.
 */
typedef float kpu_cv __attribute__((vector_size(32)));
static double canary_best = 1e300;
static int canary_fixed;
static volatile float canary_sink;
static double canary(int threads) {
  double worst = 0;
  #pragma omp parallel num_threads(threads) reduction(max : worst)
  {
    kpu_cv x = (kpu_cv){0} + 0.999999f, y = (kpu_cv){0} + 1e-7f, c[16];
    for (int q = 0; q < 16; q++) c[q] = x + (float)q;
    double t0 = now();
    for (int it = 0; it < 200000; it++) {
      #pragma GCC unroll 16
      for (int q = 0; q < 16; q++) c[q] = c[q] * x + y;
    }
    worst = now() - t0;
    kpu_cv s = (kpu_cv){0};
    for (int q = 0; q < 16; q++) s += c[q];
    canary_sink += s[0];
  }
  if (!canary_fixed && worst < canary_best) canary_best = worst;
  return worst / canary_best - 1.0;
}

/* A canary more than this much slower than its best marks the window as disturbed. */
#define CANARY_SLOWDOWN ${CANARY_SLOWDOWN}

static unsigned int rng_state;
static float rnd(void) { rng_state ^= rng_state << 13; rng_state ^= rng_state >> 17; rng_state ^= rng_state << 5; return (float)((double)rng_state / 4294967296.0 * 2.0 - 1.0); }
static void *xalloc(size_t floats) { void *p = aligned_alloc(64, ((floats * 4 + 63) / 64) * 64 + 64); if (!p) { fprintf(stderr, "out of memory\n"); exit(3); } return p; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

static long cur_m = -1, cur_n = -1, cur_k = -1; static int cur_bf16 = -1;
static float *A, *B, *C;
static unsigned short *AH, *BH;
static double *REF;
static double ref_max;

/* float32 to bfloat16, rounding to nearest even (the inputs are finite). */
static unsigned short to_bf16(float f) { unsigned int u; memcpy(&u, &f, 4); u += 0x7fffu + ((u >> 16) & 1u); return (unsigned short)(u >> 16); }
static float from_bf16(unsigned short h) { unsigned int u = (unsigned int)h << 16; float f; memcpy(&f, &u, 4); return f; }

/* A and B of the shape (bf16: rounded to bfloat16, and the float32 copies hold the same rounded values, so the float64
   reference below is exact for the inputs the kernel sees and the check measures accumulation error only). */
static void prepare(long m, long n, long k, int bf16) {
  if (m == cur_m && n == cur_n && k == cur_k && bf16 == cur_bf16) return;
  free(A); free(B); free(C); free(REF); free(AH); free(BH); AH = BH = NULL;
  A = xalloc((size_t)(m * k)); B = xalloc((size_t)(k * n)); C = xalloc((size_t)(m * n));
  REF = calloc((size_t)(m * n), sizeof(double));
  rng_state = 2463534242u ^ (unsigned)(m * 73856093 ^ n * 19349663 ^ k * 83492791);
  for (long x = 0; x < m * k; x++) A[x] = rnd();
  for (long x = 0; x < k * n; x++) B[x] = rnd();
  if (bf16) {
    AH = xalloc((size_t)(m * k + 1) / 2); BH = xalloc((size_t)(k * n + 1) / 2);
    for (long x = 0; x < m * k; x++) { AH[x] = to_bf16(A[x]); A[x] = from_bf16(AH[x]); }
    for (long x = 0; x < k * n; x++) { BH[x] = to_bf16(B[x]); B[x] = from_bf16(BH[x]); }
  }
  for (long i = 0; i < m; i++)
    for (long kk = 0; kk < k; kk++) { double a = A[i * k + kk]; const float *b = B + kk * n; double *r = REF + i * n; for (long j = 0; j < n; j++) r[j] += a * (double)b[j]; }
  ref_max = 0; for (long x = 0; x < m * n; x++) if (fabs(REF[x]) > ref_max) ref_max = fabs(REF[x]);
  cur_m = m; cur_n = n; cur_k = k; cur_bf16 = bf16;
}
static inline void call(const struct kpu_entry *e) { if (e->fn16 != NULL) e->fn16(AH, BH, C); else e->fn(A, B, C); }

static void *open_first(const char *const *names) {
  for (int x = 0; names[x] != NULL; x++) { void *h = dlopen(names[x], RTLD_NOW | RTLD_LOCAL); if (h != NULL) return h; }
  return NULL;
}
/* oneDNN's dnnl_cpu_isa_t values (dnnl_types.h) to names. */
static const char *dnnl_isa_name(int isa) {
  switch (isa) {
    case 0x1: return "sse41"; case 0x3: return "avx"; case 0x7: return "avx2"; case 0x407: return "avx2_vnni";
    case 0x27: return "avx512_core"; case 0x67: return "avx512_core_vnni"; case 0xe7: return "avx512_core_bf16";
    case 0x3e7: return "avx512_core_amx"; default: return "unknown isa";
  }
}
/* Loads peer number which once; returns whether its GEMM is callable. */
static int load_peer(int which, int threads) {
  if (which == 4) {
    if (!load_peer(3, threads)) return 0;
    if (!peer_tried[4]) { peer_tried[4] = 1; peer_core[4] = peer_core[3]; p_dnnl_bf16 = (dnnl_bf16_fn)dlsym(h_dnnl, "dnnl_gemm_bf16bf16f32"); }
    return p_dnnl_bf16 != NULL;
  }
  if (peer_tried[which]) return which == 1 ? p_openblas != NULL : which == 2 ? p_blis != NULL : p_dnnl != NULL;
  peer_tried[which] = 1;
  /* KPU_HIDE_PEERS="blis,onednn" makes the listed peers look absent (tests check how a missing library is reported). */
  static const char *peer_names[4] = { "", "openblas", "blis", "onednn" };
  const char *hide = getenv("KPU_HIDE_PEERS");
  if (hide != NULL && strstr(hide, peer_names[which]) != NULL) return 0;
  if (which == 1) {
    const char *names[] = { "libopenblas.so.0", "libopenblas.so", "libopenblas64_.so.0", NULL };
    void *h = open_first(names);
    if (h == NULL) return 0;
    p_openblas = (sgemm_fn)dlsym(h, "cblas_sgemm");
    void (*set_threads)(int) = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    char *(*core)(void) = (char *(*)(void))dlsym(h, "openblas_get_corename");
    if (set_threads) set_threads(threads);
    if (core) peer_core[1] = core();
    return p_openblas != NULL;
  }
  if (which == 2) {
    const char *names[] = { "libblis.so.4", "libblis.so", "libblis-mt.so.4", NULL };
    void *h = open_first(names);
    if (h == NULL) return 0;
    p_blis = (sgemm_fn)dlsym(h, "cblas_sgemm");
    void (*set_threads)(long) = (void (*)(long))dlsym(h, "bli_thread_set_num_threads");
    int (*arch_id)(void) = (int (*)(void))dlsym(h, "bli_arch_query_id");
    const char *(*arch_str)(int) = (const char *(*)(int))dlsym(h, "bli_arch_string");
    void (*init)(void) = (void (*)(void))dlsym(h, "bli_init");
    /* BLIS 0.9 knows no CPU newer than its release and falls back to its slow "generic" kernels there: on AVX-512 hosts
       ask for its skx configuration (as OpenBLAS is given SkylakeX), unless the user set BLIS_ARCH_TYPE. The variable
       takes BLIS's arch id, found by name; it must be set before BLIS initialises. */
    if (KPU_BLIS_ARCH[0] != '\0' && getenv("BLIS_ARCH_TYPE") == NULL && arch_str != NULL) {
      for (int id = 0; id < 64 && arch_str(id) != NULL; id++) {
        if (strcmp(arch_str(id), KPU_BLIS_ARCH) == 0) { char v[16]; snprintf(v, sizeof v, "%d", id); setenv("BLIS_ARCH_TYPE", v, 1); break; }
      }
    }
    if (init) init();
    if (set_threads) set_threads(threads);
    if (arch_id && arch_str) peer_core[2] = arch_str(arch_id());
    return p_blis != NULL;
  }
  const char *names[] = { "libdnnl.so.2", "libdnnl.so", NULL };
  void *h = open_first(names);
  if (h == NULL) return 0;
  h_dnnl = h;
  p_dnnl = (dnnl_sgemm_fn)dlsym(h, "dnnl_sgemm");
  int (*isa)(void) = (int (*)(void))dlsym(h, "dnnl_get_effective_cpu_isa");
  if (isa) peer_core[3] = dnnl_isa_name(isa());
  return p_dnnl != NULL;
}

int main(int argc, char **argv) {
  if (argc < 10) { fprintf(stderr, "usage: threads minRuns warmup minWindowMs maxAttempts stealThreshold maxRelErr maxSeconds index...\n"); return 2; }
  int threads = atoi(argv[1]), min_runs = atoi(argv[2]), warmup = atoi(argv[3]);
  double min_window = atof(argv[4]) / 1000.0; int max_attempts = atoi(argv[5]);
  double steal_threshold = atof(argv[6]), max_rel = atof(argv[7]), max_seconds = atof(argv[8]);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  omp_set_num_threads(threads);
  /* KPU_CANARY_BEST_S fixes the canary's reference time (tests use it to make every window look slowed). */
  const char *fixed = getenv("KPU_CANARY_BEST_S");
  if (fixed != NULL && atof(fixed) > 0) { canary_best = atof(fixed); canary_fixed = 1; }
  for (int w = 0; w < 5; w++) canary(threads);
  int cap = 100000; double *times = malloc(sizeof(double) * (size_t)cap);
  /* KPU_FAKE_TIMES_US="5,1,4,..." replaces each timed run's duration with the next listed value (cycling), so that a
     test can check the median and p10 against values computed by hand. The kernels still run. */
  double *fake = malloc(sizeof(double) * (size_t)cap); int fake_n = 0;
  const char *fake_env = getenv("KPU_FAKE_TIMES_US");
  for (const char *p = fake_env; p != NULL && *p != '\0' && fake_n < cap;) {
    char *end; double v = strtod(p, &end); if (end == p) break;
    fake[fake_n++] = v * 1e-6; p = *end == ',' ? end + 1 : end;
  }
  long table_len = (long)(sizeof KPU_TABLE / sizeof KPU_TABLE[0]);
  for (int a = 9; a < argc; a++) {
    long idx = atol(argv[a]);
    if (idx < 0 || idx >= table_len) { printf("RESULT %ld {\"ok\":false,\"reason\":\"no such kernel\"}\n", idx); continue; }
    const struct kpu_entry *e = &KPU_TABLE[idx];
    printf("BEGIN %ld\n", idx); fflush(stdout);
    if (e->blas) {
      static const char *missing[5] = { "", "${peerMissingReason("openblas")}", "${peerMissingReason("blis")}", "${peerMissingReason("onednn")}", "${peerMissingReason("onednn")}" };
      if (!load_peer(e->blas, threads)) { printf("RESULT %ld {\"ok\":false,\"reason\":\"%s\"}\n", idx, missing[e->blas]); fflush(stdout); continue; }
      g_m = e->m; g_n = e->n; g_k = e->k;
    }
    int bf16 = e->fn16 != NULL;
    prepare(e->m, e->n, e->k, bf16);
    size_t cn = (size_t)(e->m * e->n);
    for (size_t x = 0; x < cn; x++) C[x] = NAN;
    g_status = 0;
    call(e);
    if (g_status != 0) {
      printf("RESULT %ld {\"ok\":false,\"reason\":\"%s returned status %d%s (isa %s)\"}\n", idx, e->blas == 4 ? "dnnl_gemm_bf16bf16f32" : "the peer", g_status,
             g_status == 3 ? ", unimplemented: oneDNN 2.x has a bf16 GEMM only on AVX-512 hosts" : "", peer_core[e->blas]);
      fflush(stdout); continue;
    }
    double err = 0;
    for (size_t x = 0; x < cn; x++) { double d = fabs((double)C[x] - REF[x]); if (!(d <= err)) err = d; }
    double rel = ref_max > 0 ? err / ref_max : err;
    if (!(rel <= max_rel)) {
      printf("RESULT %ld {\"ok\":false,\"reason\":\"wrong result: max relative error %.3g > %.1g\",\"relErr\":%.6g}\n", idx, rel, max_rel, isnan(rel) ? -1.0 : rel);
      fflush(stdout); continue;
    }
    double wt0 = now();
    for (int w = 0; w < warmup || now() - wt0 < 0.02; w++) call(e);
    double best_score = 1e300, best_frac = 0, best_slow = 0, best_med = 0, best_p10 = 0; int best_runs = 0, attempt;
    for (attempt = 1; attempt <= max_attempts; attempt++) {
      double slow0 = canary(threads);
      double b0 = 0, b1 = 0; int have = read_busy(&b0); double c0 = own_cpu(); double t0 = now();
      int runs = 0;
      while (runs < cap && (runs < min_runs || now() - t0 < min_window) && !(runs >= 3 && now() - t0 > max_seconds)) { double s = now(); call(e); double d = now() - s; times[runs] = fake_n > 0 ? fake[runs % fake_n] : d; runs++; }
      double wall = now() - t0; double c1 = own_cpu(); have = have && read_busy(&b1);
      double slow1 = canary(threads), slow = slow0 > slow1 ? slow0 : slow1;
      double frac = 0;
      if (have && wall > 0) { double other = (b1 - b0) - (c1 - c0); frac = (other > 0 ? other : 0) / (wall * (double)ncpu); }
      qsort(times, (size_t)runs, sizeof(double), cmp);
      double med = runs % 2 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]);
      double p10 = times[runs / 10];
      /* A window is clean when both signs are within their thresholds; the least disturbed one is kept. */
      double score = frac / steal_threshold > slow / CANARY_SLOWDOWN ? frac / steal_threshold : slow / CANARY_SLOWDOWN;
      if (score < best_score) { best_score = score; best_frac = frac; best_slow = slow; best_med = med; best_p10 = p10; best_runs = runs; }
      if (score <= 1.0) break;
      usleep((useconds_t)(250000 * attempt));
    }
    if (attempt > max_attempts) attempt = max_attempts;
    printf("RESULT %ld {\"ok\":true,\"medianUs\":%.3f,\"p10Us\":%.3f,\"runs\":%d,\"attempts\":%d,\"stolenFraction\":%.4f,\"slowdown\":%.4f,\"noisy\":%s,\"relErr\":%.3g,\"blasCore\":\"%s\"}\n",
           idx, best_med * 1e6, best_p10 * 1e6, best_runs, attempt, best_frac, best_slow < 0 ? 0.0 : best_slow, best_score > 1.0 ? "true" : "false", rel, peer_core[e->blas]);
    fflush(stdout);
  }
  return 0;
}
`;

/** FMA peak: per thread, 16 independent vector FMA chains (enough for 2 units x 4 cycles latency, and more). */
export const PEAK_MAIN = String.raw`#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <omp.h>
typedef float V __attribute__((vector_size(LANES * 4)));
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + (double)t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  int threads = atoi(argv[1]); long iters = atol(argv[2]); int reps = atoi(argv[3]);
  omp_set_num_threads(threads);
  double best = 0; volatile float sink = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    #pragma omp parallel
    {
      V x = (V){0} + 0.999999f, y = (V){0} + 1e-7f;
      V a0 = x, a1 = x + 1, a2 = x + 2, a3 = x + 3, a4 = x + 4, a5 = x + 5, a6 = x + 6, a7 = x + 7;
      V a8 = x + 8, a9 = x + 9, a10 = x + 10, a11 = x + 11, a12 = x + 12, a13 = x + 13, a14 = x + 14, a15 = x + 15;
      for (long it = 0; it < iters; it++) {
        a0 = a0 * x + y; a1 = a1 * x + y; a2 = a2 * x + y; a3 = a3 * x + y; a4 = a4 * x + y; a5 = a5 * x + y; a6 = a6 * x + y; a7 = a7 * x + y;
        a8 = a8 * x + y; a9 = a9 * x + y; a10 = a10 * x + y; a11 = a11 * x + y; a12 = a12 * x + y; a13 = a13 * x + y; a14 = a14 * x + y; a15 = a15 * x + y;
      }
      V s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
      sink += s[0];
    }
    double dt = now() - t0;
    double gflops = (double)threads * (double)iters * 16.0 * LANES * 2.0 / dt / 1e9;
    if (gflops > best) best = gflops;
  }
  printf("{\"gflops\":%.3f}\n", best);
  return 0;
}
`;

/**
 * bf16 FMA peak per thread, 16 independent chains. Native (`__AVX512BF16__`): `vdpbf16ps` on register operands, 2
 * multiply-adds per float32 lane per instruction. Fallback: what a bf16 kernel without that instruction has, the
 * float32 FMA on bf16 operands widened by a 16-bit shift, every FMA on a freshly widened vector loaded from an
 * L1-resident buffer (the worst case of the register kernel, which widens NR/lanes vectors per MR x NR/lanes FMAs).
 * CHAINS (fallback): as many accumulators as leave 4 registers for the widened operand and the addend (12 on AVX2),
 * named locals so that they stay in registers. Prints {"gflops", "native"}; args: threads iterations repeats.
 */
export function bf16PeakMain(lanes: number, chains: number): string {
  const q = Array.from({ length: chains }, (_, n) => n);
  return `#define LANES ${lanes}\n#define CHAINS ${chains}\n${BF16_PEAK_TEMPLATE}`
    .replace("/*DECLS*/", q.map((n) => `V c${n} = (V){0} + ${n}.0f;`).join(" "))
    .replace("/*STEPS*/", q.map((n) => `c${n} = c${n} * WIDEN(&hb[${n}]) + x;`).join(" "))
    .replace("/*SUM*/", q.map((n) => `s += c${n};`).join(" "));
}

const BF16_PEAK_TEMPLATE = String.raw`#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>
#ifdef __AVX512BF16__
#include <immintrin.h>
#endif
typedef float V __attribute__((vector_size(LANES * 4)));
typedef unsigned short H __attribute__((vector_size(LANES * 2)));
typedef unsigned int U __attribute__((vector_size(LANES * 4)));
#if LANES == 16 && defined(__AVX512F__)
#include <immintrin.h>
#define WIDEN(p) ((V)_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p))), 16))
#elif LANES == 8 && defined(__AVX2__)
#include <immintrin.h>
#define WIDEN(p) ((V)_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p))), 16))
#else
#define WIDEN(p) ({ H h_; memcpy(&h_, (p), sizeof h_); (V)(__builtin_convertvector(h_, U) << 16); })
#endif
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + (double)t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  int threads = atoi(argv[1]); long iters = atol(argv[2]); int reps = atoi(argv[3]);
  omp_set_num_threads(threads);
  double best = 0; volatile float sink = 0;
#ifdef __AVX512BF16__
  const int native = 1; const double flops_per_step = 16.0 * 16 * 4;
#else
  const int native = 0; const double flops_per_step = (double)CHAINS * LANES * 2;
#endif
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    #pragma omp parallel
    {
#ifdef __AVX512BF16__
      __m512 c[16]; __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80), y = (__m512bh)_mm512_set1_epi32(0x33d633d6);
      for (int q = 0; q < 16; q++) c[q] = _mm512_set1_ps((float)q);
      for (long it = 0; it < iters; it++) {
        #pragma GCC unroll 16
        for (int q = 0; q < 16; q++) c[q] = _mm512_dpbf16_ps(c[q], x, y);
      }
      float s = 0; for (int q = 0; q < 16; q++) s += _mm512_reduce_add_ps(c[q]);
      sink += s;
#else
      H hb[16] __attribute__((aligned(64)));
      for (int q = 0; q < 16; q++) for (int l = 0; l < LANES; l++) hb[q][l] = (unsigned short)(0x3f7f - q);
      V x = (V){0} + 1e-7f;
      /*DECLS*/
      for (long it = 0; it < iters; it++) {
        __asm__ volatile("" : "+m"(hb));
        /*STEPS*/
      }
      V s = (V){0}; /*SUM*/
      sink += s[0];
#endif
    }
    double dt = now() - t0;
    double gflops = (double)threads * (double)iters * flops_per_step / dt / 1e9;
    if (gflops > best) best = gflops;
  }
  printf("{\"gflops\":%.3f,\"native\":%s}\n", best, native ? "true" : "false");
  return 0;
}
`;
