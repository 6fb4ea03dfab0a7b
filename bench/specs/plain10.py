"""Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24
(seed 000, "Introduction to ResNet in TensorFlow 2"); see bench/specs/families/resnet.py."""

from bench.specs.families import resnet as _resnet

SPEC = _resnet.make(
    "plain10",
    "Plain net, the ResNet with its 10 blocks made plain (no identity path), CIFAR-10 24x24",
    residual=False,
    # with the Glorot kernels and BatchNorm's initial moving statistics (0, 1) every plain block
    # halves the signal: the logits at the canonical initial weights are ~2e-5 and differ between
    # inputs by ~2e-5, so the ResNet's 1e-4 could not tell a wrong network (measured: 6e-11)
    # loss_rtol: the first two Adam steps on one batch of 16 (tests/protocols.py first_steps). The
    # second loss cannot be held tighter than the net holds itself: with every initial kernel scaled
    # by (1 + 1e-7 N(0, 1)) the first step's gradient moves by up to 1.4% (norm), and Adam's first
    # step, about lr * sign(gradient), carries that into the second loss. Measured (seed 0, one
    # thread; results/recorded/parity_noise/, tests/parity_runs.py): TensorFlow against itself up
    # to 3.83e-3 over 30 draws (15 of them above 2e-3), PyTorch up to 1.70e-3 over 40, and up to
    # 5.13e-3 over 20 draws at 1e-6; across backends 8.6e-4, XLA against graph 2.5e-3,
    # torch.compile against eager 4.9e-3. 3x the largest at 1e-7, rounded up (before: 2e-3, the
    # cross-backend figure alone, which half of TensorFlow's own 1e-7 draws exceed)
    # bf16 against fp32 (tests/test_modes.py): the plain net's tiny logits lose more to bf16's
    # 8-bit mantissa; measured 7.04e-3 (PyTorch), 3x rounded
    tolerances=dict(_resnet.TOLERANCES, predict_atol=1e-6, loss_rtol=1.2e-2, bf16_loss_rtol=2e-2),
)
