"""Three-layer network 784-300-10 (ReLU) on MNIST with Adam (seed 000, "Python TensorFlow
Tutorial - Build a Neural Network", TensorFlow 2 version).

The document: W ~ N(0, 0.03), b ~ N(0, 1) (tf.random.normal), images scaled to [0, 1] and
flattened, softmax cross-entropy on the logits averaged over the batch, Adam with Keras's
defaults, batch 100, 10 epochs of 600 batches; it prints about 98.0% test accuracy after
epoch 10. The document draws batches with replacement (np.random.randint); the suite uses a
seeded shuffle without replacement (each image once per epoch), the same for every backend.
"""

from bench.specs.families.mnist import MNIST

SPEC = MNIST.spec(
    "mlp",
    "MLP 784-300-10 on MNIST, Adam",
    source="seed 000, Python TensorFlow Tutorial - Build a Neural Network (TensorFlow 2)",
    hparams=dict(image_size=28, flatten=True, hidden=300, batch_size=100, epochs=10),
    target=0.975,
    # tolerances: the family's (measured figures: docs/parity.md#mnist)
    init={"*kernel": ("normal", 0.03), "*bias": ("normal", 1.0)},
    notes="Quality: test accuracy (10000 MNIST test images). Document: about 98% after 10 epochs.",
)
