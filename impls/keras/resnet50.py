"""ResNet50 transfer learning in Keras 3, as the document builds it: keras.applications.ResNet50
(no top, no pretrained file: the harness sets the canonical weights), global average pooling and
a Dense head, compile (Adam, cross-entropy from logits) + train_on_batch.

``freeze_backbone``: ``base.trainable = False`` before compile, so only the head is trained and
every backbone BatchNorm runs in inference mode, in training too (Keras's rule for a frozen layer).
"""

import keras
from keras import layers

from impls.keras._learner import ClassifierLearner


class Learner(ClassifierLearner):
    def __init__(self, hp, seed, device="cpu"):
        super().__init__(hp, seed, device)
        s = hp["image_size"]
        base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(s, s, 3))
        for layer in base.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.epsilon, layer.momentum = hp["bn_epsilon"], hp["bn_momentum"]
        base.trainable = not hp["freeze_backbone"]
        x = layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
        outputs = layers.Dense(hp["n_classes"], name="head")(x)
        self.binary = hp["n_classes"] == 1
        self._setup(keras.Model(base.input, outputs))  # flat: model.layers holds every backbone layer
