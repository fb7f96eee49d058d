"""Helpers shared by the notebooks of the Training Neural Networks course.

``trainer`` trains a model with validation and early stopping, ``plot_loss`` draws its loss
curves, and ``make_regression`` / ``make_loaders`` build the toy data the notebooks use.
``make_mlp`` and the per-layer measurements (``layer_grad_norms``, ``activation_stds``,
``dead_fractions``) serve the notebook on vanishing and exploding gradients.
``use_course_style`` applies the course's figure style; ``integer_ticks`` labels counting axes.
``helpers.timing`` times small pieces of code for the notebooks that compare what methods cost.
"""

from helpers.data import make_loaders, make_regression, set_seed
from helpers.deep import activation_stds, dead_fractions, layer_grad_norms, make_mlp
from helpers.plotting import plot_loss
from helpers.style import integer_ticks, use_course_style
from helpers.trainer import match_shape, trainer

__all__ = [
    "activation_stds",
    "dead_fractions",
    "integer_ticks",
    "layer_grad_norms",
    "make_loaders",
    "make_mlp",
    "make_regression",
    "match_shape",
    "plot_loss",
    "set_seed",
    "trainer",
    "use_course_style",
]
