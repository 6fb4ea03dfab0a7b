"""The datasets the suite reads from files, what each needs, and where they stand here.

Each dataset is one or more files, any one of which will do (``files``, preferred first): the
suite's offline copy, or the original download. :func:`state` says whether one is present (and
where), or can be downloaded now; :func:`fix` is the command or step that gets it; :func:`fetch`
downloads it; :func:`verify` checks a present copy's size, checksum and arrays. ``bench data``
(bench/cli/data.py) is the command line over these, and ``bench run`` asks :func:`state` for every
cell's :class:`~bench.core.data.base.Need` before any cell starts.

Tests that need a real dataset call :func:`missing_reason` and skip with its text, which names
``bench data fetch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from bench.core.data import cats_vs_dogs, cifar10, files, mnist
from bench.core.data.base import Need
from bench.core.data.files import RemoteFile
from bench.core.errors import BenchError, choices


@dataclass(frozen=True)
class Dataset:
    name: str  # what `bench data fetch NAME` takes
    title: str
    files: tuple[tuple[RemoteFile, Callable[[Path], Any]], ...]  # (file, reader that checks it), preferred first
    fallback: str | None = None  # what is used when it is absent (where a spec allows a stand-in)


DATASETS: dict[str, Dataset] = {
    "mnist": Dataset("mnist", "MNIST", ((mnist.MNIST, mnist.read_mnist),), fallback=mnist.STAND_IN),
    "cifar10": Dataset(
        "cifar10", "CIFAR-10", ((cifar10.SUBSET, cifar10.LAYOUT.read_npz), (cifar10.TARBALL, cifar10.read_tarball))
    ),
    "cats_vs_dogs": Dataset(
        "cats_vs_dogs",
        "Cats vs Dogs",
        ((cats_vs_dogs.SUBSET, cats_vs_dogs.LAYOUT.read_npz), (cats_vs_dogs.FILTERED, cats_vs_dogs.read_filtered_zip)),
    ),
}


def get(name: str) -> Dataset:
    if name not in DATASETS:
        raise BenchError(f"unknown dataset '{name}'; choose from: {choices(DATASETS)}")
    return DATASETS[name]


@dataclass(frozen=True)
class State:
    """Where a dataset stands here: ``path`` of the copy found, else ``download`` (the file a
    download would fetch now), else neither, with ``reason`` in words."""

    dataset: Dataset
    file: RemoteFile | None = None
    path: Path | None = None
    download: RemoteFile | None = None
    reason: str = ""

    @property
    def present(self) -> bool:
        return self.path is not None

    @property
    def available(self) -> bool:
        return self.present or self.download is not None


def state(name: str, probe_network: bool = True) -> State:
    """Present (first copy found), else downloadable now (downloads on and the host answers),
    else why not. ``probe_network=False`` counts a file with a URL as downloadable whenever
    downloads are on, without connecting."""
    ds = get(name)
    for f, _ in ds.files:
        path = files.find(f)
        if path is not None:
            return State(ds, f, path)
    remote = [f for f, _ in ds.files if f.url]
    if not remote:
        return State(ds, reason="it has no download source")
    if files.offline():
        return State(ds, reason="downloads are off (BENCH_OFFLINE=1)")
    for f in remote:
        if not probe_network or files.reachable(f.url):
            return State(ds, download=f)
    return State(ds, reason=f"{remote[0].url.split('/')[2]} cannot be reached (offline?)")


def looked_in() -> str:
    return ", ".join(str(d) for d in files.search_dirs())


def fix(name: str) -> str:
    """How to get a dataset, in one line: the command, and the file to put by hand."""
    ds = get(name)
    first = ds.files[0][0]
    size = f" ({first.size:,} bytes)" if first.size else ""
    by_hand = f"put {first.filename}{size} in a directory and set BENCH_DATA_DIR to it"
    if any(f.url for f, _ in ds.files):
        return f"run 'bench data fetch {name}' when online (BENCH_OFFLINE unset), or {by_hand}"
    return by_hand


def missing_reason(name: str) -> str | None:
    """None when the dataset is here; else one line for ``pytest.skip`` naming the fix."""
    try:
        st = state(name, probe_network=False)
    except BenchError as exc:
        return str(exc)
    if st.present:
        return None
    return f"{st.dataset.title} is not here (looked in {looked_in()}): {fix(name)}"


def fetch(name: str) -> tuple[Path, bool]:
    """The dataset's path, downloading it when it is absent. -> (path, downloaded)."""
    st = state(name)
    if st.present:
        return st.path, False
    if st.download is None:
        raise BenchError(f"cannot fetch {st.dataset.title}: {st.reason}; {fix(name)}")
    try:
        return files.download(st.download), True
    except OSError as exc:
        raise BenchError(f"downloading {st.download.url} failed ({exc}); {fix(name)}") from None


@dataclass(frozen=True)
class Check:
    file: RemoteFile
    path: Path
    ok: (
        bool | None
    )  # True: a known-good copy whose arrays read and check; False: bad; None: unknown checksum, arrays ok
    text: str


def verify(name: str, read: bool = True) -> list[Check]:
    """Every local copy of the dataset's files: size and checksum against the known copies, and
    (``read``) the arrays read and checked by the loader."""
    out = []
    for f, reader in get(name).files:
        path = files.find(f)
        if path is None:
            continue
        ok, text = files.check(f, path)
        if ok is not False and read:
            try:
                reader(path)
                text += "; arrays read and checked"
            except BenchError as exc:
                ok, text = False, str(exc)
        out.append(Check(f, path, ok, text))
    return out


def needs(spec, hp: Mapping[str, Any]) -> tuple[Need, ...]:
    """The datasets a spec reads with these settings (``Spec.datasets``; none declared: none)."""
    declared = getattr(spec, "datasets", None)
    return tuple(declared(hp)) if declared is not None else ()
