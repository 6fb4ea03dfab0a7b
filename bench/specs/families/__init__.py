"""The spec families: the defaults and shared pieces of the specs of one kind (MNIST nets, ResNets,
Cats-vs-Dogs heads, transfer learning, maximum likelihood, RL, value prediction)."""
