/** GELU, tanh approximation (as in BERT): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** A small seeded generator (mulberry32): the same seed gives the same inputs on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The logistic function 1 / (1 + e^-x). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** SiLU (swish): x * sigmoid(x). */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/**
 * erf as a vector unit evaluates it: Abramowitz & Stegun 7.1.26, 1 - (a1 t + ... + a5 t^5) e^(-x^2) with
 * t = 1 / (1 + p |x|), odd in x; absolute error at most 1.5e-7 (about 2.5 fp32 ulps of 1).
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const y = 1 - poly * Math.exp(-z * z);
  return x < 0 ? -y : y;
}
