// Bounded L-BFGS minimisation with Armijo backtracking, shared by the GP sampler's
// kernel fit (unconstrained) and its acquisition refinement (on the unit box). Pure.

export interface MinimiseResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
}

/**
 * L-BFGS with Armijo backtracking. With `box`, coordinates are kept in [lo, hi] by
 * projection and those held at a bound by their gradient are frozen for the step (a
 * small L-BFGS-B). Stops at max |projected gradient| < gtol or when progress stalls.
 */
export function lbfgsMinimise(
  f: (x: Float64Array) => { value: number; grad: ArrayLike<number> },
  x0: ArrayLike<number>,
  opts: { maxIterations?: number; gtol?: number; memory?: number; box?: { lo: number; hi: number } } = {},
): MinimiseResult {
  const maxIterations = opts.maxIterations ?? 100;
  const gtol = opts.gtol ?? 1e-5;
  const memory = opts.memory ?? 10;
  const box = opts.box;
  const n = x0.length;
  const clip = (v: number) => (box ? Math.min(box.hi, Math.max(box.lo, v)) : v);
  let x: Float64Array = Float64Array.from(x0, clip);
  let cur = f(x);
  let evaluations = 1;
  let value = cur.value;
  let grad: Float64Array = Float64Array.from(cur.grad);
  if (!Number.isFinite(value)) return { x, value, iterations: 0, evaluations };
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const free = new Uint8Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // Coordinates at a bound whose descent direction leaves the box are frozen.
    let gmax = 0;
    const pg = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const blocked = box !== undefined && ((x[i]! <= box.lo && grad[i]! > 0) || (x[i]! >= box.hi && grad[i]! < 0));
      free[i] = blocked ? 0 : 1;
      pg[i] = blocked ? 0 : grad[i]!;
      gmax = Math.max(gmax, Math.abs(pg[i]!));
    }
    if (!(gmax >= gtol)) break;
    // Two-loop recursion on the free coordinates.
    const q = Float64Array.from(pg);
    const alphas: number[] = [];
    for (let m = ss.length - 1; m >= 0; m--) {
      const rho = 1 / dot(ys[m]!, ss[m]!);
      const a = rho * dot(ss[m]!, q);
      alphas[m] = a;
      for (let i = 0; i < n; i++) q[i] = q[i]! - a * ys[m]![i]!;
    }
    const last = ss.length - 1;
    const gamma = last >= 0 ? dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!) : 1 / Math.max(1, gmax);
    for (let i = 0; i < n; i++) q[i] = q[i]! * gamma;
    for (let m = 0; m < ss.length; m++) {
      const rho = 1 / dot(ys[m]!, ss[m]!);
      const b = rho * dot(ys[m]!, q);
      for (let i = 0; i < n; i++) q[i] = q[i]! + ss[m]![i]! * (alphas[m]! - b);
    }
    const dir = new Float64Array(n);
    for (let i = 0; i < n; i++) dir[i] = free[i] ? -q[i]! : 0;
    if (dot(dir, pg) >= 0) {
      // Not a descent direction: restart from steepest descent.
      ss.length = 0;
      ys.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -pg[i]! / Math.max(1, gmax);
    }
    let step = 1;
    let accepted: { x: Float64Array; value: number; grad: Float64Array } | undefined;
    for (let tries = 0; tries < 40; tries++) {
      const xn = new Float64Array(n);
      let decrease = 0;
      for (let i = 0; i < n; i++) {
        xn[i] = clip(x[i]! + step * dir[i]!);
        decrease += grad[i]! * (xn[i]! - x[i]!);
      }
      const r = f(xn);
      evaluations++;
      if (Number.isFinite(r.value) && r.value <= value + 1e-4 * decrease) {
        accepted = { x: xn, value: r.value, grad: Float64Array.from(r.grad) };
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const yv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = accepted.x[i]! - x[i]!;
      yv[i] = free[i] ? accepted.grad[i]! - grad[i]! : 0;
      if (!free[i]) s[i] = 0;
    }
    if (dot(s, yv) > 1e-12 * Math.sqrt(dot(yv, yv) * dot(s, s))) {
      ss.push(s);
      ys.push(yv);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
      }
    }
    const progress = value - accepted.value;
    x = accepted.x;
    value = accepted.value;
    grad = accepted.grad;
    if (progress <= 1e-12 * Math.max(1, Math.abs(value))) {
      iterations++;
      break;
    }
  }
  return { x, value, iterations, evaluations };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
