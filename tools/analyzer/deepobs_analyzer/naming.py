"""Names: optimizer aliases (ours, DeepOBS 1.1 class names, DeepOBS 1.2 names) and titles."""

# Canonical name = the DeepOBS 1.1 TensorFlow class name used by the published baselines.
_OPTIMIZER_ALIASES = {
    "GradientDescentOptimizer": ["sgd", "gradientdescent", "gradient_descent",
                                 "gradientdescentoptimizer"],
    "MomentumOptimizer": ["momentum", "momentumoptimizer", "momentum_sgd"],
    "AdamOptimizer": ["adam", "adamoptimizer"],
}
_ALIAS_TO_CANONICAL = {a: c for c, al in _OPTIMIZER_ALIASES.items() for a in al}

OPTIMIZER_DISPLAY = {
    "GradientDescentOptimizer": "SGD",
    "MomentumOptimizer": "Momentum",
    "AdamOptimizer": "Adam",
}

# The order DeepOBS 1.1's table uses: SGD, Momentum, Adam first.
BASELINE_ORDER = ["GradientDescentOptimizer", "MomentumOptimizer", "AdamOptimizer"]

SMALL_SET = ["quadratic_deep", "mnist_vae", "fmnist_2c2d", "cifar10_3c3d"]
LARGE_SET = ["fmnist_vae", "cifar100_allcnnc", "svhn_wrn164", "tolstoi_char_rnn"]
BENCHMARK_SETS = {"small": SMALL_SET, "large": LARGE_SET}

BENCHMARK_TITLES = {
    "quadratic_deep": "P1 Quadratic Deep",
    "mnist_vae": "P2 MNIST - VAE",
    "fmnist_2c2d": "P3 F-MNIST - CNN",
    "cifar10_3c3d": "P4 CIFAR-10 - CNN",
    "fmnist_vae": "P5 F-MNIST - VAE",
    "cifar100_allcnnc": "P6 CIFAR 100 - All CNN C",
    "svhn_wrn164": "P7 SVHN - Wide ResNet 16-4",
    "tolstoi_char_rnn": "P8 Tolstoi - Char RNN",
}

_DATA = {"mnist": "MNIST", "fmnist": "F-MNIST", "cifar10": "CIFAR-10", "cifar100": "CIFAR-100",
         "svhn": "SVHN", "imagenet": "ImageNet", "tolstoi": "Tolstoi", "quadratic": "Quadratic",
         "two_d": "2-D"}
_MODEL = {"logreg": "Log. Regr.", "mlp": "MLP", "2c2d": "2c2d", "3c3d": "3c3d", "vae": "VAE",
          "vgg16": "VGG 16", "vgg19": "VGG 19", "allcnnc": "All-CNN-C",
          "wrn164": "Wide ResNet 16-4", "wrn404": "Wide ResNet 40-4",
          "inception_v3": "Inception-v3", "char_rnn": "Char-RNN", "deep": "Deep",
          "rosenbrock": "Rosenbrock", "beale": "Beale", "branin": "Branin"}

# Problems whose DeepOBS 1.1 metric is the test loss (no accuracy).
LOSS_ONLY = {"quadratic_deep", "mnist_vae", "fmnist_vae", "two_d_rosenbrock", "two_d_beale",
             "two_d_branin"}


def canonical_optimizer(name):
    """Maps an optimizer folder or JSON name to the baseline class name where one exists."""
    key = name.strip().lower()
    return _ALIAS_TO_CANONICAL.get(key, name)


def optimizer_display(name):
    return OPTIMIZER_DISPLAY.get(canonical_optimizer(name), name)


def problem_title(problem):
    for data in sorted(_DATA, key=len, reverse=True):
        if problem.startswith(data + "_"):
            model = problem[len(data) + 1:]
            return f"{_DATA[data]} {_MODEL.get(model, model)}"
    return problem


def metric_title(metric):
    kind, _, what = metric.partition("_")
    what = {"losses": "loss", "accuracies": "accuracy"}.get(what, what)
    return f"{kind} {what}"
