"""Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24 (seed 000, "Introduction to ResNet in TensorFlow 2"); see bench/specs/_resnet.py."""

from bench.specs import _resnet
from bench.specs.base import Spec

SPEC = Spec(
    name="plain10",
    title="Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24",
    kind="supervised",
    source="seed 000, Introduction to ResNet in TensorFlow 2",
    hparams=dict(_resnet.HPARAMS, residual=False),
    budgets=_resnet.BUDGETS,
    metric="test_acc",
    higher_is_better=True,
    target=0.4,
    tolerances=_resnet.TOLERANCES,
    init=_resnet.INIT,
    impl="resnet",
    load_data=_resnet.load_data,
    evaluate=_resnet.evaluate,
    notes="Quality: accuracy on the test images (train_acc: on the training images, inference mode); "
          "target 0.4. Full budget reduced from the document's (see bench/specs/_resnet.py).",
)
