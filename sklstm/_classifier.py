"""LSTMClassifier: an LSTM with a logistic or softmax output and log-loss."""

import numbers
from functools import partial

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets

from ._base import BaseLSTM
from ._checks import fits_in_numpy, quoted, underflow_is_zero
from ._fitted_state import reads_one_state
from ._parameters import ATTRIBUTES_DOC, PARAMETERS_DOC, with_partial_fit_doc
from ._loss import class_probabilities
from ._weights import (
    balanced_sample_weight, check_class_weight, check_sample_weight, dict_class_sample_weight,
)
from ._validation import (
    _holds_text, check_declared_classes, check_sequence_targets, distinct_labels, label_text,
    labels_text, listed, unsortable_labels_error,
)
from ._warnings import warn

# What a fitted LabelBinarizer's y_type_ can be (sklearn.utils.multiclass.type_of_target).
_TARGET_TYPES = ("binary", "multiclass", "multilabel-indicator")


def _check_label_type(labels, name="y", *, padded=False):
    """scikit-learn's check that ``labels`` are classes, raised from here (its
    error type and words kept), with what to do for the kinds it refuses
    without saying why: objects that are not text (Decimal, or ints in an
    object array) and whole-number floats beyond int64, which it reads as
    continuous. Other refusals (bytes, tuples of labels) keep its advice.
    ``name`` is the argument the labels came in: ``y`` or ``classes``;
    ``padded``, whether ``labels`` are the real steps of per-step labels,
    whose padded steps int cannot hold (None, say)."""
    try:
        # scikit-learn casts float labels to int to see whether they are whole
        # numbers: beyond int64 (1e308) NumPy warns of it beside the refusal.
        with np.errstate(invalid="ignore", over="ignore"):
            check_classification_targets(labels)
    except (TypeError, ValueError) as exc:
        advice = ""
        values = np.ravel(labels)
        if isinstance(exc, TypeError) and "not supported between instances" in str(exc):
            # Sorting the classes failed: Python's own words name no argument.
            raise unsortable_labels_error(values, name) from None
        if not str(exc).startswith("Unknown label type"):
            pass  # scikit-learn's message says what to do (bytes, tuples of labels)
        elif values.dtype == object:
            other = next((v for v in values if not isinstance(v, str)), None)
            beyond = next((v for v in values if isinstance(v, numbers.Integral)
                           and not fits_in_numpy(v)), None)
            if beyond is not None:  # astype(int) would overflow
                advice = (
                    f" {name} holds {quoted(beyond)}, an int label beyond the range of int64, "
                    "which NumPy holds as an object only: pass the labels as text, for example "
                    f"{name}.astype(str), or renumber them with LabelEncoder."
                )
            elif isinstance(other, numbers.Number):
                advice = (
                    f" {name} is an object array holding {type(other).__name__} labels such "
                    f"as {quoted(other)}, which scikit-learn does not read as classes: give it a "
                    f"numeric or text dtype, for example "
                    + (f"{name}.astype(float) (padded steps NaN)" if padded else
                       f"{name}.astype(int)")
                    + f" or {name}.astype(str)."
                )
            elif other is not None:  # intervals of pd.cut, tz-aware dates, periods
                advice = (
                    f" {name} holds {type(other).__name__} labels such as {other!r}, which "
                    f"scikit-learn does not read as classes: give them as text, for example "
                    f"{name}.astype(str), or as integer codes (pandas.factorize)."
                )
        elif (
            values.dtype.kind == "f" and (np.abs(values) >= 2.0**63).any()
            and (values == np.round(values)).all()
        ):
            large = values[np.argmax(np.abs(values) >= 2.0**63)].item()
            advice = (
                f" {name} holds {large!r}, a float label beyond the range of int64, which "
                "scikit-learn reads as a continuous value: pass the labels as text, for "
                f"example {name}.astype(str), or renumber them with LabelEncoder."
            )
        kind = TypeError if isinstance(exc, TypeError) else ValueError
        raise kind(f"{exc}{advice}") from None
    if np.asarray(labels).dtype == object:
        # NumPy's strings drop trailing NULs: 'a\x00' would be read as 'a', a
        # class of its own in the object array but not in the arrays made of it.
        nul = next((v for v in np.ravel(labels) if isinstance(v, str) and v.endswith("\x00")),
                   None)
        if nul is not None:
            raise ValueError(
                f"{name} holds the label {nul!r}, which ends with NUL characters: NumPy's "
                f"strings drop them, and would read it as {nul.rstrip(chr(0))!r}. Strip them "
                f"first, for example {name}.str.rstrip('\\x00') for a pandas Series."
            )


def _label_kind(labels):
    """What ``labels`` are, as a message names them: text, dates, durations or numbers."""
    if _holds_text(labels):
        return "text"
    return {"M": "dates", "m": "durations"}.get(labels.dtype.kind, "numbers")


def _refuse_another_label_kind(labels, classes, whose):
    """Raise unless ``labels`` are of the kind of ``classes`` (:func:`_label_kind`):
    dates against numbers failed inside NumPy, and durations took ints for
    counts of their unit (1 for a second, not for 1 ms). ``whose`` says
    what the classes are in the message ("classes holds")."""
    if _label_kind(labels) != _label_kind(classes):
        raise ValueError(
            f"y holds {_label_kind(labels)} as labels, but {whose} "
            f"{_label_kind(classes)}: {labels_text(classes[:10])}."
        )


def _unseen_labels(labels, known):
    """The distinct ``labels`` not among ``known``, as a list.

    Integers against floats are compared exactly, as Python compares them:
    NumPy would promote both to float64, where integers beyond 2**53 equal
    their neighbours (2**53 + 1 would be taken for the class 2**53).
    """
    kinds = {labels.dtype.kind, known.dtype.kind}
    if kinds in ({"i", "f"}, {"u", "f"}):
        declared = set(known.tolist())
        return [label for label in np.unique(labels).tolist() if label not in declared]
    return list(np.setdiff1d(np.unique(labels), known))


def _indicator(labels):
    """2-D ``labels`` as a multilabel indicator (objects of plain numbers in
    the NumPy dtype that holds them), or None if they are not one: the one
    rule, for ``fit`` and ``partial_fit``. One column is a column of labels."""
    if labels.ndim != 2 or labels.shape[1] < 2:
        return None
    if labels.dtype == object and not _holds_text(labels):
        labels = np.asarray(labels.tolist())  # a frame of mixed dtypes, say
    if labels.dtype.kind in "biuf" and np.isin(labels, (0, 1)).all():
        return labels
    return None


def _is_indicator(y):
    """Whether many-to-one ``y``, unchecked, reads as a multilabel indicator
    (scikit-learn is not asked: it fails on some inputs, such as per-step
    labels, before fit's checks can name them)."""
    try:
        return _indicator(np.asarray(y)) is not None
    except MemoryError:
        raise
    except Exception:  # an array-like refusing: fit's checks name it
        return False


def _per_step_hint(labels, sequences):
    """Advice for a 2-D ``labels`` of one column per step of ``sequences``
    (of more than one step), as Keras's per-step targets are; else ""."""
    if labels.shape[1] < 2 or labels.shape[1] != sequences.values.shape[1]:
        return ""
    return (f" y has one column per step of X ({labels.shape[1]}): if it holds a label per "
            "step, set return_sequences=True.")


def _warn_of_one_hot_classes(indicators):
    """Warn where multilabel ``indicators`` (n_samples, n_labels) give every
    sample exactly one label, as one-hot classes (Keras's categorical
    targets) do: as independent labels, a sample may be predicted none or
    several, and the probabilities need not sum to 1. (Indicators of as many
    labels as X has steps may be labels per step, but as often several
    labels of each sample: only an error says so, see :func:`_per_step_hint`.)"""
    if np.all(np.count_nonzero(indicators, axis=1) == 1):
        warn(f"y is read as multilabel indicators, and every sample has exactly one of its "
             f"{indicators.shape[1]} labels, as one-hot classes do: the labels are fitted "
             "independently, so a sample may be predicted none or several, and the "
             "probabilities need not sum to 1. For one class per sample, pass each row's "
             "label: np.asarray(y).argmax(axis=1), or a DataFrame's y.idxmax(axis=1), which "
             "keeps its column names as the classes.", DataConversionWarning)


class LSTMClassifier(ClassifierMixin, BaseLSTM):
    __doc__ = f"""Long short-term memory network for classification.

    A stack of LSTM layers reads each sequence; a dense layer with a
    logistic (binary, multilabel) or softmax (multiclass) output gives the
    class probabilities. Trained on the log-loss plus an L2 penalty.

    Parameters
    ----------{PARAMETERS_DOC}
    class_weight : dict, list of dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``; as in
        :func:`sklearn.utils.class_weight.compute_sample_weight`. "balanced"
        counts each class by the sum of its samples' ``sample_weight``, so
        that a weight of k is k copies of the sample. A class a
        dict does not name weighs 1. In ``fit``, a dict may name classes
        that ``y`` lacks (a cross-validation fold without a rare class) only
        if it names every class of ``y``: otherwise such a name is taken for
        a misspelling and refused. In ``partial_fit`` the same rule holds
        for the declared ``classes``. "balanced" has no ``partial_fit``
        (it would balance each batch on its own): pass a dict of weights.
        Per-step labels (``return_sequences=True``) refuse it: weigh their
        sequences with ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, ``arange(n_labels)``).
    {ATTRIBUTES_DOC}
    See Also
    --------
    LSTMRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : The feed-forward counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 12, 1))
    >>> y = np.where(X[:, :6, 0].sum(axis=1) > 0, "up", "down")  # sign of the first half
    >>> clf = LSTMClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100,
    ...                      random_state=0).fit(X, y)
    >>> clf.classes_
    array(['down', 'up'], dtype='<U4')
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        *,
        return_sequences=False,
        patch_length="auto",
        peephole=False,
        coupled_gates=False,
        gate_variant=None,
        bidirectional=False,
        dropout=0.0,
        recurrent_dropout=0.0,
        forget_bias=1.0,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=2e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="tail",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        clip_norm=None,
        solver_options=None,
        standardize=True,
        n_channels=1,
        column_order="time_major",
        newest_first=False,
        n_exog=0,
        data_format=None,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, return_sequences=return_sequences,
            patch_length=patch_length,
            peephole=peephole, coupled_gates=coupled_gates, gate_variant=gate_variant,
            bidirectional=bidirectional, dropout=dropout, recurrent_dropout=recurrent_dropout,
            forget_bias=forget_bias,
            solver=solver, alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            validation_split=validation_split, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, clip_norm=clip_norm,
            solver_options=solver_options, standardize=standardize, n_channels=n_channels,
            column_order=column_order, newest_first=newest_first, n_exog=n_exog,
            data_format=data_format,
        )
        self.class_weight = class_weight

    # -- targets ----------------------------------------------------------------

    def _labels(self, y, sequences, *, warn_of_column=True):
        """Check label targets; return (labels, mask of real steps or None).

        ``warn_of_column``: whether a column-vector ``y`` warns, as in ``fit``."""
        labels = check_sequence_targets(y, sequences, self.return_sequences, numeric=False)
        if self.return_sequences:
            if labels.ndim != 2:
                raise ValueError(
                    "With return_sequences=True, y must hold one label per step: shape "
                    f"(n_samples, n_timesteps), got {labels.shape}."
                )
            mask = sequences.step_mask()
            _check_label_type(labels[mask], padded=not mask.all())
            return labels, mask
        if labels.ndim == 2 and labels.shape[1] == 1:
            if warn_of_column:  # scikit-learn's words, at the user's call
                warn("A column-vector y was passed when a 1d array was expected. Please "
                     "change the shape of y to (n_samples, ), for example using ravel().",
                     DataConversionWarning)
            labels = labels.ravel()
        if labels.ndim > 2:
            raise ValueError(
                "y must hold one label per sample, shape (n_samples,), or a multilabel "
                f"indicator, shape (n_samples, n_labels); got shape {labels.shape}."
            )
        if labels.ndim == 2:
            indicator = _indicator(labels)
            if indicator is None:
                # scikit-learn reads a 2-D y of two values as indicators, and
                # would train the log-loss on the values themselves; of more
                # values, as several outputs of classes.
                held = distinct_labels(labels, "y").tolist()[:10]
                raise ValueError(
                    "A 2-D y is read as multilabel indicators, one column per label, which "
                    f"must be 0 or 1; y holds {held}. Several "
                    "outputs of other classes (multi-output classification) are not "
                    f"supported.{_per_step_hint(labels, sequences)}"
                )
            labels = indicator
        _check_label_type(labels)
        return labels, None

    def _check_fitted_label_form(self, real):
        """Raise unless labels ``real`` (of the real steps; 2-D if indicators)
        have the fitted classes' form."""
        multilabel = real.ndim == 2
        if multilabel != self._multilabel:
            fitted = "multilabel indicators" if self._multilabel else "one label per sample"
            raise ValueError(
                f"y switches between multilabel and single-label targets: the model was "
                f"fitted on {fitted}."
            )
        if multilabel and real.shape[1] != len(self.classes_):
            raise ValueError(
                f"y has {real.shape[1]} labels, but the model was fitted with "
                f"{len(self.classes_)}."
            )
        if not multilabel:
            _refuse_another_label_kind(real, self.classes_, "the model's classes are")

    _private_fitted = (*BaseLSTM._private_fitted, "_label_binarizer")
    _required_fitted = (*BaseLSTM._required_fitted, "classes_", "_label_binarizer")

    def _encode_targets(self, y, sequences, *, reset, classes=None, sample_weight=None,
                        warm_start=False):
        labels, mask = self._labels(y, sequences)
        real = labels if mask is None else labels[mask]
        multilabel = real.ndim == 2  # of 0 and 1 (checked by _labels)
        state = {}
        if multilabel and classes is not None and not np.array_equal(
            np.sort(classes), np.arange(real.shape[1])
        ):
            raise ValueError(
                f"y is a multilabel indicator of {real.shape[1]} columns, whose classes are "
                f"the column numbers 0 to {real.shape[1] - 1}; classes={classes.tolist()}."
            )
        if reset and multilabel:
            _warn_of_one_hot_classes(real)
        if reset:
            declared = classes is not None and not multilabel
            if declared:
                _refuse_another_label_kind(real, classes, "classes holds")
            binarizer = LabelBinarizer().fit(classes if declared else real)
            if len(binarizer.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {label_text(binarizer.classes_[0])}."
                )
            state = {"_label_binarizer": binarizer, "classes_": binarizer.classes_}
        else:
            binarizer = self._label_binarizer
            if classes is not None and not multilabel and not np.array_equal(
                np.unique(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={labels_text(np.unique(classes))} differs from the classes of "
                    f"the first call, {labels_text(self.classes_)}."
                )
            self._check_fitted_label_form(real)
            present = None if multilabel else np.unique(real)
            if warm_start and present is not None and not np.array_equal(
                    present, self.classes_):
                # As MLPClassifier: a fit's y says which classes there are,
                # and a warm start keeps classes_. partial_fit trains on batches
                # of some of them (stochastic solvers), never on new ones.
                some = hasattr(self, "partial_fit") and np.isin(present, self.classes_).all()
                batches = ("Use partial_fit to train on batches of some classes, or"
                           if some else "Set")
                raise ValueError(
                    f"A warm start continues the fit on y of the same classes: y holds "
                    f"{labels_text(present)}, the model's classes are "
                    f"{labels_text(self.classes_)}. {batches} warm_start=False to fit anew."
                )
        known = binarizer.classes_
        if not multilabel:
            unseen = _unseen_labels(real, known)
            if unseen:
                raise ValueError(
                    f"y contains classes {labels_text(unseen)} that were not declared in "
                    f"classes or seen in the first fit; known classes are {labels_text(known)}."
                )

        dtype = sequences.values.dtype
        encoded = binarizer.transform(real).astype(dtype)
        if mask is None:
            Y = encoded
        else:
            Y = np.zeros(mask.shape + (encoded.shape[1],), dtype=dtype)
            Y[mask] = encoded
        loss = "multinomial" if Y.shape[-1] > 1 and not multilabel else "log_loss"
        class_sw = self._class_sample_weight(labels, known, dtype, multilabel, sample_weight)
        return Y, loss, class_sw, state

    def _class_sample_weight(self, labels, classes, dtype, multilabel, sample_weight):
        """Per-sample weights from ``class_weight``, or None; ``classes``: the known
        labels, ``dtype``: the fit's, ``multilabel``: whether ``labels`` are
        indicators, ``sample_weight``: the checked weights, which "balanced" counts."""
        if self.class_weight is None:
            return None
        if self.return_sequences:
            raise ValueError(
                "class_weight applies to whole sequences and is not supported with "
                "return_sequences=True; pass sample_weight instead."
            )
        class_weight = check_class_weight(self.class_weight, classes, multilabel)
        if isinstance(class_weight, str):  # "balanced"
            weights = balanced_sample_weight(labels, sample_weight)
            if sample_weight is not None:
                # Checked as their product with sample_weight: alone they may
                # be as extreme as the weights they balance.
                return weights
            return check_sample_weight(weights, len(labels), name="class_weight", dtype=dtype)
        # Every known class weighs 1 unless named: scikit-learn refuses a dict
        # naming a class that this batch (of partial_fit, say) lacks while it
        # holds one the dict does not name.
        if isinstance(class_weight, dict):
            weights = dict_class_sample_weight(class_weight, labels)
        else:  # a dict per label of multilabel indicators
            weights = compute_sample_weight(
                [{0: 1.0, 1: 1.0, **weights} for weights in class_weight], labels)
        return check_sample_weight(weights, len(labels), name="class_weight", dtype=dtype)

    def _check_target_state(self):
        classes = self.classes_
        if not isinstance(classes, np.ndarray) or classes.ndim != 1:
            raise TypeError(
                f"classes_ must be a 1-D NumPy array of the class labels, got "
                f"{type(classes).__name__}{'' if np.ndim(classes) == 1 else ' not 1-D'}."
            )
        if classes.size < 2 or len(set(classes.tolist())) != classes.size:
            raise ValueError(
                f"classes_ must hold at least 2 distinct labels, got {labels_text(classes)}."
            )
        if not isinstance(self._label_binarizer, LabelBinarizer):
            raise TypeError(
                "_label_binarizer must be the fitted LabelBinarizer, got "
                f"{type(self._label_binarizer).__name__}."
            )
        y_type = getattr(self._label_binarizer, "y_type_", None)
        if not isinstance(y_type, str) or y_type not in _TARGET_TYPES:
            raise ValueError(
                "_label_binarizer.y_type_ must be one of "
                f"{', '.join(map(repr, _TARGET_TYPES))} (the fitted binarizer's), got {y_type!r}."
            )
        # A binarizer of indicator columns names them 0 .. k-1.
        if y_type == "multilabel-indicator" and (
            classes.dtype.kind not in "iu" or not np.array_equal(classes, np.arange(classes.size))
        ):
            raise ValueError(
                "_label_binarizer.y_type_ is 'multilabel-indicator', whose classes_ are "
                f"the columns 0 .. k-1, but classes_ is {labels_text(classes)}."
            )
        n_logits, described = self._n_logits()
        if self.n_outputs_ != n_logits:
            raise ValueError(
                f"classes_ holds {described}, which need {n_logits} output(s), but the "
                f"model was fitted with n_outputs_={self.n_outputs_}."
            )
        fitted = getattr(self._label_binarizer, "classes_", None)
        if not isinstance(fitted, np.ndarray) or fitted.shape != classes.shape or not all(
            a == b for a, b in zip(fitted.tolist(), classes.tolist())
        ):
            raise ValueError(
                f"classes_ {labels_text(classes)} differs from the classes of "
                f"_label_binarizer, {labels_text(np.asarray(fitted))}."
            )

    def _n_logits(self):
        # One logit for two classes; one per class (or label) otherwise.
        k = len(self.classes_)
        kind = " labels (multilabel)" if self._multilabel else " classes"
        return (1 if k == 2 and not self._multilabel else k), f"{k}{kind}"

    @property
    def _binary_head(self):
        return self._n_logits()[0] == 1

    @property
    def _multilabel(self):
        # Derived, not stored: the binarizer saw a multilabel indicator.
        return self._label_binarizer.y_type_ == "multilabel-indicator"

    def _stratify_labels(self, Y):
        if self.return_sequences or self._multilabel:
            raise ValueError(
                "validation_split='stratified' needs one label per sample; use 'tail' or "
                "'shuffle' with multilabel or per-step targets."
            )
        return Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]

    def _check_split_classes(self, Y, train, val, sample_weight, step_mask):
        """Refuse a split whose training part never shows a class that its
        validation part holds (for multilabel targets, a value of a label).

        The tail of data ordered by class (as many data sets are stored)
        holds the last classes only: the model would never see them in
        training and be scored on them. A tail that holds only the last of
        them is refused too (:meth:`_refuse_a_tail_of_the_last_classes`).
        """
        def shown(part, weighted=True):
            """(n_columns, 2) bool: whether each column of Y is 0, and is 1,
            at a sample (or step) of positive weight in ``part`` (of any
            weight, unless ``weighted``)."""
            real = step_mask[part] if self.return_sequences else np.ones(len(part), bool)
            if weighted and sample_weight is not None:
                real = real & (sample_weight[part] > 0).reshape(-1, *[1] * (real.ndim - 1))
            rows = Y[part][real]  # (n_real, n_columns): one-hot, a 0/1 column or indicators
            return np.stack([(rows < 0.5).any(axis=0), (rows > 0.5).any(axis=0)], axis=1)

        unseen = shown(val) & ~shown(train)
        if self._multilabel:
            missing = [f"label {label_text(self.classes_[k])} = {v}"
                       for k, v in np.argwhere(unseen)]
        elif Y.shape[-1] == 1:  # the column is 1 for classes_[1], 0 for classes_[0]
            missing = [f"class {label_text(self.classes_[v])}"
                       for v in np.flatnonzero(unseen[0])]
        else:  # a class is missing where its one-hot column is never 1
            missing = [f"class {label_text(self.classes_[k])}"
                       for k in np.flatnonzero(unseen[:, 1])]
        if not missing:
            self._refuse_a_tail_of_the_last_classes(Y, val)
            return
        if (unseen & shown(train, weighted=False)).any():
            remedy = (f"the training part holds them at zero weight only: give them positive "
                      f"{self._weight_names()}")
        elif self.validation_split == "tail":
            remedy = ("samples ordered by class leave the last classes in the tail: use "
                      "validation_split='stratified' (one label per sample) or 'shuffle', or "
                      "interleave the classes")
        elif self.validation_split == "stratified":
            remedy = ("even stratified, a part this small holds no sample of them: move "
                      "validation_fraction towards 0.5, or gather more samples of them")
        else:
            remedy = ("the random split held out all of them: use validation_split="
                      "'stratified' (one label per sample, two or more of each class), "
                      "another random_state, or more samples of them")
        unit = "step" if self.return_sequences else "sample"
        raise ValueError(
            f"early_stopping: the training part of validation_split="
            f"{self.validation_split!r} (validation_fraction={self.validation_fraction}) "
            f"has no {unit} of the {listed(missing)}, which the validation part holds, so "
            f"the model could not learn {'them' if len(missing) > 1 else 'it'}; {remedy}, "
            "or set early_stopping=False."
        )

    def _refuse_a_tail_of_the_last_classes(self, Y, val):
        """Refuse the tail of labels ordered by class (each class one run of
        consecutive samples, as sktime's loaders give UCR/UEA sets) where it
        lacks classes: its loss, of the last classes only, stops training at
        a model of them. On BasicMotions the tail was 4 samples of one of 4
        classes, and the fit stopped after 12 epochs at 0.08 test accuracy."""
        if self.validation_split != "tail" or self._multilabel or self.return_sequences:
            return
        # Each sample's class: its one-hot column, or the 0/1 of a binary y.
        codes = (Y.argmax(axis=-1) if Y.shape[-1] > 1 else Y[:, 0] > 0.5).astype(int)
        present = np.unique(codes)
        held = np.unique(codes[val])
        ordered = np.count_nonzero(np.diff(codes)) == len(present) - 1
        if not ordered or len(held) == len(present) or len(present) < 2:
            return
        raise ValueError(
            f"early_stopping: y is ordered by class (each class one run of samples), so the "
            f"tail that validation_split='tail' holds out holds only "
            f"{'class' if len(held) == 1 else 'classes'} "
            f"{listed([label_text(self.classes_[k]) for k in held])}, of the "
            f"{len(present)} classes: its loss would stop training at a model of "
            f"{'it' if len(held) == 1 else 'them'}. Use validation_split='stratified' (or "
            "'shuffle'), shuffle X and y together, or set early_stopping=False."
        )

    def _validation_score(self, z, Y, sequences, sample_weight):
        predicted = self._decide(z)
        truth = Y if self._multilabel else (Y.argmax(axis=-1) if Y.shape[-1] > 1 else Y[..., 0])
        if self._multilabel:
            truth = truth.astype(int)
        if not self.return_sequences:
            return float(accuracy_score(truth, predicted, sample_weight=sample_weight))
        mask, step_w = sequences.real_step_weights(sample_weight)
        return float(accuracy_score(truth[mask], predicted[mask], sample_weight=step_w))

    # -- prediction -------------------------------------------------------------

    def _probabilities(self, z, log=False):
        """``predict_proba``'s (or, ``log``, ``predict_log_proba``'s) values of logits ``z``."""
        return class_probabilities(z, multilabel=self._multilabel, log=log)

    def _decide(self, z):
        """Indices of predicted classes (or a label indicator) from logits.

        Decided on the probabilities ``predict_proba`` gives, as scikit-learn's
        MLP decides: logits that differ only within their rounding (float32)
        give equal probabilities, where a decision on the logits could pick
        another class than ``predict_proba``'s argmax (a tie goes to the first).
        """
        proba = self._probabilities(z)
        if self._multilabel:
            return (proba > 0.5).astype(int)
        return proba.argmax(axis=-1)

    @underflow_is_zero
    @reads_one_state
    def predict_proba(self, X):
        """Class probabilities of sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_columns), DataFrame, or list of arrays
            Sequences, in any convention accepted by ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; for multilabel targets, the
            probability of each label. With ``return_sequences=True``:
            (n_samples, n_timesteps, n_classes), NaN at padded steps.
        """
        proba, seqs = self._logits(X, self._probabilities)
        return self._per_step_output(proba, seqs)

    @underflow_is_zero
    @reads_one_state
    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed without underflow.

        Parameters
        ----------
        X : array-like, see ``predict_proba``

        Returns
        -------
        log_proba : ndarray of the shape of ``predict_proba(X)``
        """
        log_proba, seqs = self._logits(X, partial(self._probabilities, log=True))
        return self._per_step_output(log_proba, seqs)

    @underflow_is_zero
    @reads_one_state
    def predict(self, X):
        """Predict class labels of sequences.

        Parameters
        ----------
        X : array-like, see ``predict_proba``

        Returns
        -------
        y : ndarray of shape (n_samples,), or (n_samples, n_labels) for multilabel
            With ``return_sequences=True``: (n_samples, n_timesteps); for
            sequences of different lengths, a list of 1-D arrays, one per
            sequence, of its real length.
        """
        decided, seqs = self._logits(X, self._decide)
        return self._labels_of(decided, seqs)

    def _labels_of(self, decided, seqs):
        """Predicted labels, as ``predict`` returns them, from the decisions
        of :meth:`_decide`."""
        if self._multilabel:
            return decided
        labels = self.classes_[decided]
        if self.return_sequences and seqs.lengths is not None:
            return [labels[k, :n] for k, n in enumerate(seqs.lengths)]
        return seqs.reorder_steps(labels) if self.return_sequences else labels

    @underflow_is_zero
    @reads_one_state
    def score(self, X, y, sample_weight=None):
        """Mean accuracy of the predictions.

        With ``return_sequences=True`` every real step counts, weighted by
        ``sample_weight`` divided by the sequence's length.

        Parameters
        ----------
        X : array-like, see ``predict_proba``
        y : array-like of shape (n_samples,) or (n_samples, n_labels), or per \
                step when ``return_sequences``
            True labels, or a multilabel indicator matrix (scored by subset
            accuracy: every label of a sample right).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; None weighs them equally.

        Returns
        -------
        score : float
            The weighted fraction of samples predicted right.
        """
        decided, seqs, sw = self._scoring_input(X, sample_weight, self._decide)
        # The labels are held to fit's rules: a masked array, None or NaN
        # among them is refused here too, naming the sample.
        labels, mask = self._labels(y, seqs, warn_of_column=False)
        self._check_fitted_label_form(labels if mask is None else labels[mask])
        if not self.return_sequences:
            return float(accuracy_score(labels, self._labels_of(decided, seqs), sample_weight=sw))
        predicted = self.classes_[decided]
        mask, step_w = seqs.real_step_weights(sw)
        return float(accuracy_score(labels[mask], predicted[mask], sample_weight=step_w))

    def _check_partial_fit(self):
        super()._check_partial_fit()
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            # Balancing each call's batch separately would weigh a class
            # differently from call to call.
            raise AttributeError(
                "partial_fit is not available with class_weight='balanced': it would "
                "balance each batch separately. Pass a dict, e.g. from "
                "sklearn.utils.class_weight.compute_class_weight on all the labels."
            )
        return True

    @available_if(lambda self: self._check_partial_fit())
    @with_partial_fit_doc
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over the given samples.

        {partial_fit_optimizer}

        Parameters
        ----------
        X : array-like, see ``fit``
        y : array-like of shape (n_samples,) or (n_samples, n_labels), or \
                per step when ``return_sequences`` (see ``fit``)
            Labels, or a multilabel indicator matrix.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever appear, each once; required on the
            first call unless ``y`` is a multilabel indicator. The third
            argument, as in ``SGDClassifier`` (``MLPClassifier``'s third is
            ``sample_weight``).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, as in ``fit``; None weighs them equally.

        Returns
        -------
        self : object
            The model, trained one more epoch.
        """
        if classes is not None:
            classes = check_declared_classes(classes)
            _check_label_type(classes, name="classes")
        elif not hasattr(self, "coefs_") and not sparse.issparse(y) and (
            self.return_sequences or not _is_indicator(y)
        ):
            # Multilabel indicators name their classes by column; nothing else
            # does. (Sparse y is left to fit's own message.)
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Per-step labels read a 2-D y as the labels of each step.
        tags.classifier_tags.multi_label = not self.return_sequences
        return tags
