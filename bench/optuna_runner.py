# Optuna's side of `npm run bench -- search` (bench/search.ts runs it once, with every seed):
# TPESampler(seed=s) and RandomSampler(seed=s) with Optuna's defaults minimise the same test
# functions as bench/functions.ts for the same number of trials. Reads one JSON job on stdin,
# prints one JSON object: the best value of every (function, sampler, seed) run, the time of
# the last suggestion (study.ask with the search space, after trials-1 told trials, measured
# with time.perf_counter), and the functions' values at the probe points the bench sends, so
# the bench can check these formulas agree with its own before comparing anything.
import json
import math
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


def main():
    job = json.load(sys.stdin)
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
