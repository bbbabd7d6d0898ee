"""The scalar autograd engine (micrograd-style `Value`), its expression parser and graph layout,
and a tiny MLP on 2-D toy data trained on Values."""
