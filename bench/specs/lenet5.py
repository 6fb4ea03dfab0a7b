"""LeNet-5 on MNIST (seed 002, CNN deck, "MNIST LeNet (Tensorflow)").

Architecture, as in the document: 32x32x1 input (the 28x28 images zero-padded by 2 pixels on
every side, once, in bench/core/data/mnist.py; the document's np.resize repeats pixels instead,
which is a bug) -> conv1 5x5, 6 filters, stride 1, VALID, ReLU -> max-pool 2x2 stride 2 ->
conv2 5x5, 16 filters, VALID, ReLU -> max-pool 2x2 stride 2 -> flatten (5x5x16 = 400, NHWC
order) -> fc1 120 ReLU -> fc2 84 ReLU -> fc3 10 logits.

Loss: mean sparse softmax cross-entropy on the logits plus L2 on the three dense kernels
(not the conv kernels, not the biases), added to the loss as
``l2 * (sum(fc1/kernel**2) + sum(fc2/kernel**2) + sum(fc3/kernel**2))``. The document uses
``tf.contrib.layers.l2_regularizer(0.001)``, which is ``0.001 * tf.nn.l2_loss(w)`` =
``0.001 * sum(w**2) / 2``; so ``l2 = 5e-4`` here is exactly the document's penalty.

Adam 1e-3 (epsilon 1e-7), batch 64. Initialisation as the document: kernels ~ N(0, 0.1)
(the document truncates at two standard deviations; bench.core.initial_weights has no truncated normal, so
the suite draws plain N(0, 0.1)), conv biases 0, fc1 bias 0.1, fc2 and fc3 biases ~ N(0, 0.1).
The document trains 1000 batches (about one epoch) at a constant learning rate. The suite's
full budget is 12 epochs, and it is *tuned*, so labelled: epochs 1-10 at the document's 1e-3,
epochs 11-12 at 1e-4 (``lr_decay_epoch=11``, ``lr_decay=0.1``). Why: at a constant 1e-3 the
test accuracy stops rising after about 4 epochs and wanders between 98.4% and 98.9% from one
epoch to the next (seed 0, 10 epochs, all three backends: final 98.76% TensorFlow, 98.83%
PyTorch, 98.67% Keras, having each touched 98.8% on the way), so whether the final figure clears
98.8% was down to which epoch the budget ended on. The decayed epochs settle it. The base
hyperparameters (``lr_decay_epoch=0``) are the document's constant rate.
"""

from bench.specs.families.mnist import MNIST

SPEC = MNIST.spec(
    "lenet5",
    "LeNet-5 on MNIST (32x32), Adam, L2 on the dense kernels",
    source="seed 002, CNN deck, MNIST LeNet (Tensorflow)",
    hparams=dict(
        image_size=32,
        flatten=False,
        conv1_filters=6,
        conv2_filters=16,
        kernel_size=5,
        pool=2,
        fc1_units=120,
        fc2_units=84,
        l2=5e-4,
        batch_size=64,
        epochs=10,
        lr_decay_epoch=0,
        lr_decay=0.1,
    ),
    budgets={"full": dict(epochs=12, lr_decay_epoch=11)},  # tuned: see the docstring
    target=0.988,
    # tolerances: the family's (measured figures: docs/parity.md#mnist)
    init={"*kernel": ("normal", 0.1), "conv*/bias": "zeros", "fc1/bias": 0.1, "fc*/bias": ("normal", 0.1)},
    notes="Quality: test accuracy on the 10000 MNIST test images; target 98.8%.",
)
