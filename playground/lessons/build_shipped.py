"""Build the shipped lessons in assets/lessons/ (and the Journey's neural bigram weights).

    python -m playground.lessons.build_shipped            # all five lessons and neural_bigram.npz
    python -m playground.lessons.build_shipped 2 3        # only lessons 2 and 3

Each lesson is made the way a teacher would make it: the real window (offscreen), the tab set up,
File > Save lesson (LessonSession.save) with only that tab and a script. Rebuild them when a tab's
widgets change (tests/gui/test_lessons_shipped.py says when a shipped lesson no longer fits).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time


from playground.lessons.fileformat import Step
from playground.lessons.shipped import SHIPPED, folder

NEURAL_BIGRAM = "neural_bigram.npz"


def make_neural_bigram():
    """The lecture's neural bigram, trained on the train split only (so its val figure is fair):
    `playground train bigram`'s recipe, 300 full-batch steps of SGD at lr 50, seed 2147483647."""
    from models.bigram.counts import BigramCounts, bigram_pairs
    from models.bigram.neural import NeuralBigram
    from models.bigram.train import NeuralBigramConfig, train
    from models.core.checkpoint import save_model
    from models.core.data import default_names_path, load_words, standard_split

    words = load_words(default_names_path())
    vocab = BigramCounts.fit(words).vocab
    xs, ys = bigram_pairs(standard_split(words).train, vocab)
    model = NeuralBigram(vocab.size, seed=2147483647, itos="".join(vocab.itos))
    config = NeuralBigramConfig(steps=300, lr=50.0)
    for report in train(model, (xs, ys), config):
        pass
    meta = {"steps": report.step, "train": config.to_dict(), "data": "train split of the names list",
            "command": "python -m playground.lessons.build_shipped"}
    return save_model(folder() / NEURAL_BIGRAM, model, meta)


# -- the window --------------------------------------------------------------------------------
def _settle(app, window, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 5 and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
        busy = any(t.busy() or t.is_training() for t in window.built_tabs()) or window.lessons.busy()
        quiet = 0 if busy else quiet + 1


def _path(tab, widget) -> str:
    from playground.lessons.widget_state import path_of

    return path_of(tab, widget)


def _find(tab, cls, text: str | None = None):
    """The first widget of class `cls` (with this text, if given) in the tab."""
    from playground.lessons.widget_state import walk

    for _, w in walk(tab):
        if isinstance(w, cls) and (text is None or getattr(w, "text", lambda: "")().replace("&", "") == text):
            return w
    raise LookupError(f"no {cls.__name__} {text or ''} in the {tab.title} tab")


# -- the five lessons: set the tab up, return the script ----------------------------------------
def lesson_autograd(app, window):
    from PySide6.QtWidgets import QPushButton

    tab = window.show_tab("autograd")
    _settle(app, window)
    tab.prepare_shot()  # the lecture's neuron, five grads filled, the check on
    page = tab.graph_page
    return [
        Step("A neuron is a small graph", "o = tanh(x1·w1 + x2·w2 + b). Each box is a Value: its data on "
             "top, its grad below; the inputs are blue.", "autograd", "graph", _path(tab, page.preset)),
        Step("Backprop, one node at a time", "Each press fills one more grad by the chain rule: the grad "
             "above times the local derivative. Five are filled: press Backward step (F7) and read the sum on "
             "the left.", "autograd", "graph", _path(tab, page.buttons["Backward step"])),
        Step("Check it by nudging", "Finite differences nudge each input by ±h and watch the output: "
             "(f(x+h) − f(x−h)) / 2h agrees with the grad backprop found.", "autograd", "graph",
             _path(tab, page.check_box)),
        Step("Change an input", "Click a blue box, type a new value and press Enter: forward runs again. "
             "Backward all (Shift+F7) refills every grad.", "autograd", "graph", _path(tab, page.value_edit)),
        Step("A network of the same Values", "Dozens of these neurons trained by SGD to separate two "
             "classes: the same backward, over and over. Press Train.", "autograd", "train",
             _path(tab, _find(tab.train_page, QPushButton, "Train")) if _has(tab.train_page, QPushButton, "Train")
             else ""),
    ]


def _has(root, cls, text) -> bool:
    try:
        _find(root, cls, text)
        return True
    except LookupError:
        return False


def lesson_bigram(app, window):
    from PySide6.QtWidgets import QRadioButton

    tab = window.show_tab("bigram")
    _settle(app, window)
    stoi = tab.data.model.vocab.stoi
    tab.matrix.cell_clicked.emit(stoi["a"], stoi["n"])
    _find(tab, QRadioButton, "Probabilities").setChecked(True)
    tab.sampler.name_edit.setText("andrej")
    tab.neural.start(max_steps=None)  # 300 steps, the form's default
    _settle(app, window)
    tab.show_page("count")
    return [
        Step("Count every pair", "32,000 names give 228,000 pairs of characters: the row is the character "
             "before, the column the one after; '.' marks a name's start and end.", "bigram", "count",
             _path(tab, tab.matrix)),
        Step("Probabilities, row by row", "Divide each row by its sum: P(next | previous). A name is a walk "
             "from the '.' row, one sampled character at a time.", "bigram", "count",
             _path(tab, _find(tab, QRadioButton, "Probabilities"))),
        Step("Why smoothing", "On the validation names the loss is ∞: some of their pairs never occur in "
             "train, so the counts give them probability 0. Move k up: every count gets +k and the loss "
             "becomes finite.", "bigram", "count", _path(tab, tab.smoothing_slider)),
        Step("Score a name", "A name's loss is the average −log P of its pairs. Type your own.",
             "bigram", "sample", _path(tab, tab.sampler.name_edit)),
        Step("Learn W instead of counting", "softmax(one-hot · W), trained by gradient descent for 300 "
             "steps, arrives at the same table: its loss falls to the counts' dashed line.", "bigram", "learn",
             ""),
    ]


def lesson_names(app, window):
    tab = window.show_tab("names")
    _settle(app, window)
    tab.show_page("loss")
    preset = tab.model_form.editors["preset"]
    return [
        Step("The names MLP", "Bengio 2003: each character becomes 10 numbers; the last 3 characters go "
             "through 200 tanh neurons to 27 outputs. Validation loss 2.11, where the bigram had 2.46.",
             "names", "loss", _path(tab, preset)),
        Step("What it learned", "The right plot puts each character at its learned vector: characters the "
             "model treats alike, such as the vowels, end up near each other.", "names", "loss", ""),
        Step("Why batch norm: the health page", "Each layer's activations and gradients. Without care, tanh "
             "saturates (values stuck at ±1) and gradients vanish: makemore part 3.", "names", "health", ""),
        Step("Now with batch norm", "Choose batchnorm here and press Trained preset: the same MLP with each "
             "layer's inputs normalised, healthier statistics, validation loss 2.09.", "names", "loss",
             _path(tab, preset)),
        Step("Names it dreams up", "Sampling: one character at a time from the predicted distribution, "
             "until it predicts '.'.", "names", "sample", ""),
    ]


def lesson_digits(app, window):
    tab = window.show_tab("digits")
    _settle(app, window)
    tab.prepare_shot()  # a drawn 4
    _settle(app, window)
    tab.pages.setCurrentIndex(0)
    return [
        Step("Draw a digit", "Draw with the mouse (right click clears): the bars are the network's "
             "probabilities for 0 to 9.", "digits", "draw", _path(tab, tab.canvas)),
        Step("What the net sees", "Your drawing is cleaned, cropped, centred and shrunk to 28×28 grey "
             "pixels like MNIST's digits: this is all the network gets.", "digits", "draw",
             _path(tab, tab.input_view)),
        Step("Inside the network", "Each hidden neuron's weights drawn as a picture, and how strongly your "
             "digit lights it up.", "digits", tab.page_keys()[1], ""),
        Step("Train it yourself", "Train the MLP on MNIST with sloppy augmentation and watch the accuracy "
             "climb.", "digits", "train", ""),
    ]


def lesson_attention(app, window):
    tab = window.show_tab("attention")
    _settle(app, window)
    tab.task_box.setCurrentIndex(tab.task_box.findData("sort"))
    _settle(app, window)
    tab.prepare_shot()
    _settle(app, window)
    return [
        Step("Attention sorts", "The model reads 6 letters and writes them in order. Each small map is one "
             "head: the row is the position asking, the column the position it reads.", "attention", "heads",
             _path(tab, tab.task_box)),
        Step("One head, step by step", "Queries meet keys: q·k / √d, a softmax per row, and a weighted sum "
             "of the values.", "attention", "step", ""),
        Step("How it learned", "The training curve of the shipped weights.", "attention", "training", ""),
        Step("Now names", "Switch the task to Names: the same machinery predicts the next character, and "
             "its heads learn to look back at the vowels and the start of the name.", "attention", "heads",
             _path(tab, tab.task_box)),
    ]


RECIPES = {"autograd": lesson_autograd, "bigram": lesson_bigram, "names": lesson_names,
           "digits": lesson_digits, "attention": lesson_attention}


def build(which=None) -> list[str]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from playground import settings

    os.environ[settings.CONFIG_ENV] = tempfile.mkdtemp(prefix="playground-build-lessons-")
    from playground.app import application
    from playground.main_window import MainWindow

    app = application()
    written = []
    for i, item in enumerate(SHIPPED, start=1):
        if which and i not in which:
            continue
        window = MainWindow(restore=False)
        window.resize(1400, 900)
        window.show()
        script = RECIPES[item.tab](app, window)
        done = []
        window.lessons.session.saved.connect(lambda path, notes: done.append(notes))
        window.lessons.session.failed.connect(lambda message: done.append([message]))
        window.lessons.session.save(item.path, title=item.title, script=script, tabs=[item.tab],
                                    presentation=None)
        _settle(app, window)
        if not done or done[0]:
            raise SystemExit(f"{item.file}: {done[0] if done else 'not saved'}")
        window.shutdown()
        window.close()
        written.append(str(item.path))
        print(f"wrote {item.path} ({item.path.stat().st_size:,} bytes)")
    return written


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    which = {int(a) for a in argv}
    if not which:
        path = make_neural_bigram()
        print(f"wrote {path}")
    build(which)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
