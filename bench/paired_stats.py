"""Mean, standard deviation and the paired comparison over seeds that the text benchmarks report:
the mean difference, its 95 % interval (Student's t) and t itself."""
import math

# Two-sided 97.5 % quantiles of Student's t for 1..10 degrees of freedom (95 % intervals).
T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]


def mean_sd(values):
    """The mean and the sample standard deviation (0 for one value)."""
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, sd


def paired(differences):
    """{'mean', 'ci95': [low, high], 't'} of per-seed differences (at least two)."""
    n = len(differences)
    if n < 2:
        raise ValueError(f'a paired comparison needs at least two seeds, got {n}')
    mean, sd = mean_sd(differences)
    quantile = T_975[n - 2] if n - 2 < len(T_975) else 1.96
    half = quantile * sd / math.sqrt(n)
    t = mean / (sd / math.sqrt(n)) if sd > 0 else float('inf')
    return {'mean': mean, 'ci95': [mean - half, mean + half], 't': t}
