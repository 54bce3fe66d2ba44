# Optuna's side of `npm run bench -- search` (bench/search.ts runs it once, with every seed):
# TPESampler(seed=s) and RandomSampler(seed=s) with Optuna's defaults minimise the same test
# functions as bench/functions.ts for the same number of trials. Reads one JSON job on stdin,
# prints one JSON object: the best value of every (function, sampler, seed) run, the time of
# the last suggestion (study.ask with the search space, after trials-1 told trials, measured
# with time.perf_counter), and the functions' values at the probe points the bench sends, so
# the bench can check these formulas agree with its own before comparing anything.
#
# A job with "mode": "noisy" is the bench's NOISY section instead: TPESampler(seed=s) sees
# f(x) + sd * noise_normal(s, 0, x) (one evaluation per trial, evaluation seed 0; sd as the
# bench sends it), and for each requested n_trials the bench gets study.best_trial's params
# (lowest observed value), plus noise_normal at the bench's probe keys.
import hashlib
import json
import math
import struct
import sys
import time
import warnings

warnings.simplefilter("ignore")
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(x):
    x1, x2 = x
    b = 5.1 / (4 * math.pi * math.pi)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]
HARTMANN_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
HARTMANN_P = [
    [v * 1e-4 for v in row]
    for row in [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
]


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(HARTMANN_A[i][j] * (x[j] - HARTMANN_P[i][j]) ** 2 for j in range(6))
        total += HARTMANN_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def styblinski_tang(x):
    return sum(v**4 - 16 * v**2 + 5 * v for v in x) / 2


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(math.pi * w[0]) ** 2
    for i in range(len(w) - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    s += (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return s


def ackley(x):
    d = len(x)
    sq = sum(v * v for v in x)
    cos = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(sq / d)) - math.exp(cos / d) + 20 + math.e


FUNCTIONS = {
    "branin": branin,
    "hartmann6": hartmann6,
    "rosenbrock4": rosenbrock,
    "styblinski-tang4": styblinski_tang,
    "levy4": levy,
    "ackley4": ackley,
}


def make_sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"unknown sampler {name}")


def run(fn, bounds, sampler_name, seed, trials):
    dists = {f"x{i}": optuna.distributions.FloatDistribution(lo, hi) for i, (lo, hi) in enumerate(bounds)}
    study = optuna.create_study(direction="minimize", sampler=make_sampler(sampler_name, seed))
    best = math.inf
    last_ask = None
    for n in range(trials):
        started = time.perf_counter()
        trial = study.ask(fixed_distributions=dists)
        elapsed = time.perf_counter() - started
        if n == trials - 1:
            last_ask = elapsed
        value = fn([trial.params[f"x{i}"] for i in range(len(bounds))])
        study.tell(trial, value)
        best = min(best, value)
    return best, last_ask


def noise_normal(bench_seed, eval_seed, x):
    """bench/functions.ts noiseNormal: sha256 over <II then <d per coordinate, Box-Muller."""
    data = struct.pack("<II", bench_seed & 0xFFFFFFFF, eval_seed & 0xFFFFFFFF) + struct.pack(f"<{len(x)}d", *x)
    digest = hashlib.sha256(data).digest()
    u1, u2 = (((w >> 11) + 0.5) / 2**53 for w in struct.unpack("<QQ", digest[:16]))
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def run_noisy(fn, bounds, sd, seed, n_trials):
    """TPE on the noisy objective for max(n_trials) trials; the best trial of each prefix.

    TPESampler never sees the study's length (its RandomState advances trial by trial and its
    start-up count is a count of finished trials), so the first n trials of this study are the
    trials of a study run for n: the lowest observed value among them (the first on ties, as
    study.best_trial keeps it) is that study's best_trial.
    """
    dists = {f"x{i}": optuna.distributions.FloatDistribution(lo, hi) for i, (lo, hi) in enumerate(bounds)}
    study = optuna.create_study(direction="minimize", sampler=make_sampler("tpe", seed))
    best_by_n = {}
    best = None
    wanted = set(n_trials)
    for n in range(1, max(n_trials) + 1):
        trial = study.ask(fixed_distributions=dists)
        x = [trial.params[f"x{i}"] for i in range(len(bounds))]
        observed = fn(x) + sd * noise_normal(seed, 0, x)
        study.tell(trial, observed)
        if best is None or observed < best[1]:
            best = (x, observed)
        if n in wanted:
            best_by_n[n] = {"x": best[0], "observed": best[1]}
    return best_by_n


def main_noisy(job):
    out = {"optuna": optuna.__version__, "noise_probes": [noise_normal(p["seed"], p["eval_seed"], p["x"]) for p in job["noise_probes"]], "runs": []}
    for spec in job["functions"]:
        fn = FUNCTIONS[spec["name"]]
        for run_spec in spec["runs"]:
            seed = run_spec["seed"]
            for n, best in run_noisy(fn, spec["bounds"], spec["sd"], seed, run_spec["n_trials"]).items():
                out["runs"].append({"function": spec["name"], "seed": seed, "n_trials": n, "x": best["x"], "observed": best["observed"]})
    print(json.dumps(out))


def main():
    job = json.load(sys.stdin)
    if job.get("mode") == "noisy":
        main_noisy(job)
        return
    out = {"optuna": optuna.__version__, "probes": {}, "runs": []}
    for spec in job["functions"]:
        fn = FUNCTIONS[spec["name"]]
        out["probes"][spec["name"]] = [fn(x) for x in job["probes"][spec["name"]]]
    for spec in job["functions"]:
        fn = FUNCTIONS[spec["name"]]
        for sampler_name in job["samplers"]:
            for seed in job["seeds"]:
                best, last_ask = run(fn, spec["bounds"], sampler_name, seed, job["trials"])
                out["runs"].append(
                    {"function": spec["name"], "sampler": sampler_name, "seed": seed, "best": best, "last_suggest_s": last_ask}
                )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
