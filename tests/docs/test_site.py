"""Checks of the built documentation site: what the reference says must be what the code is.

They read the HTML that ``mkdocs build`` wrote, so they run in ``nox -s docs`` after the build, which
points ``NNFS_DOCS_SITE`` at the site; without it (the default suite, no mkdocs installed) they skip.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    """An element of the parsed page: tag, attributes, children (elements and text)."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def elements(self) -> list[Node]:
        return [child for child in self.children if isinstance(child, Node)]

    def find_all(self, tag: str, css_class: str | None = None, *, into_children: bool = True) -> list[Node]:
        """Descendants with this tag (and class); ``into_children=False`` stops at nested doc objects."""
        found = []
        for child in self.elements():
            if child.tag == tag and (css_class is None or css_class in child.classes()):
                found.append(child)
            if into_children or "doc-children" not in child.classes():
                found += child.find_all(tag, css_class, into_children=into_children)
        return found

    def find_all_with(self, attribute: str) -> list[Node]:
        """Every descendant element that has this attribute."""
        found = []
        for child in self.elements():
            if attribute in child.attrs:
                found.append(child)
            found += child.find_all_with(attribute)
        return found

    def text(self, skip: tuple[str, ...] = ()) -> str:
        return "".join(child if isinstance(child, str) else ("" if child.tag in skip else child.text(skip))
                       for child in self.children)

    def heading(self) -> str | None:
        """A ``div.doc-object``'s heading id (the object's dotted path)."""
        for child in self.elements():
            if child.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and "doc-heading" in child.classes():
                return child.attrs.get("id")
        return None

    def signature(self) -> str:
        """A ``div.doc-object``'s own signature block, if it shows one."""
        blocks = [child for child in self.elements() if "doc-signature" in child.classes()]
        return blocks[0].text() if blocks else ""

    def parameter_rows(self) -> list[tuple[str, dict[str, str]]]:
        """(name, {column: text}) of this object's own Parameters tables, not its members' nor Attributes."""
        rows, section = [], ""
        contents = [child for child in self.elements() if "doc-contents" in child.classes()]
        for element in contents[0].elements() if contents else []:
            if element.find_all("span", "doc-section-title"):
                section = element.text().strip()
            if element.tag != "table" or section not in ("Parameters:", "Other Parameters:"):
                continue
            header = [cell.text().strip() for cell in element.find_all("th")]
            for row in element.find_all("tr", "doc-section-item"):
                cells = dict(zip(header, (cell.text().strip() for cell in row.find_all("td"))))
                rows.append((cells["Name"], cells))
        return rows


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {key: value or "" for key, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    return builder.root


SITE = Path(os.environ["NNFS_DOCS_SITE"]) if os.environ.get("NNFS_DOCS_SITE") else None
pytestmark = [pytest.mark.docs,
              pytest.mark.skipif(SITE is None, reason="needs a built site: run nox -s docs (NNFS_DOCS_SITE)")]

# The packages whose public modules (no ``_private`` part) are API: every name in each one's __all__ needs a
# reference entry with its signature. A subpackage's __all__ is the public surface of the modules inside it
# (nnfs_core.datasets for its loaders' modules), so those are left to it. ``nnfs_core.cli`` is the ``nnfs``
# command, documented on its own page.
PACKAGES = ["nnfs_core", "nnfs_activations", "nnfs_optim", "nnfs_conv", "nnfs_sequence", "nnfs_mpi"]
NOT_API = {"nnfs_core.cli"}


def public_modules() -> list[str]:
    found = []
    for package in PACKAGES:
        found.append(package)
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if info.name in NOT_API or any(part.startswith("_") for part in info.name.split(".")):
                continue
            parent = info.name.rpartition(".")[0]
            if parent != package and hasattr(importlib.import_module(parent), "__all__"):
                continue
            found.append(info.name)
    return found


SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|exc|data|obj|ref|const|term):`")


def pages() -> list[Path]:
    assert SITE is not None
    return sorted(path for path in SITE.rglob("*.html") if path.name != "404.html")


def resolve(path: str) -> object:
    """The live object a heading id such as ``nnfs_core.network.Network.fit`` names."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute)
        return found
    raise LookupError(path)


def objects() -> list[tuple[str, Node]]:
    """Every documented object on every reference page: (heading id, its ``div.doc-object``)."""
    found = []
    for page in pages():
        if "reference" not in page.parts:
            continue
        for block in parse(page.read_text()).find_all("div", "doc-object"):
            heading = block.heading()
            if heading is not None:
                found.append((heading, block))
    return found


def signature_parameters(obj: object) -> dict[str, inspect.Parameter]:
    target = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
    parameters = dict(inspect.signature(target).parameters)
    parameters.pop("self", None)
    return parameters


def shown_default(text: str, obj: object) -> object:
    """What a rendered default cell means: evaluated in the namespace of the object's module."""
    module = importlib.import_module(getattr(obj, "__module__", None) or "builtins")
    return eval(text, vars(module))  # noqa: S307 - our own rendered source text


def test_every_documented_default_is_the_signatures():
    wrong, checked = [], 0
    for path, block in objects():
        obj = resolve(path)
        if not callable(obj):
            continue
        try:
            signature = signature_parameters(obj)
        except (TypeError, ValueError):
            continue
        for name, cells in block.parameter_rows():
            if name not in signature or "Default" not in cells:
                continue
            checked += 1
            expected = signature[name].default
            text = cells["Default"]
            if expected is inspect.Parameter.empty:
                if text != "required":
                    wrong.append(f"{path}({name}): shows {text}, is required")
            elif text == "required" or shown_default(text, obj) != expected:
                wrong.append(f"{path}({name}): shows {text}, is {expected!r}")
    assert checked > 200, f"only {checked} parameter rows found: has the page layout changed?"
    assert wrong == []


def test_every_parameter_row_has_a_description():
    empty = [f"{path}({name})" for path, block in objects() for name, cells in block.parameter_rows()
             if not cells.get("Description", "").strip()]
    assert empty == [], "\n".join(empty)


def test_every_documented_parameter_exists():
    unknown = []
    for path, block in objects():
        obj = resolve(path)
        if not callable(obj):
            continue
        try:
            signature = signature_parameters(obj)
        except (TypeError, ValueError):
            continue
        takes_any = any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in signature.values())
        unknown += [f"{path}({name})" for name, _ in block.parameter_rows()
                    if name.lstrip("*") not in signature and not takes_any]
    assert unknown == [], "\n".join(unknown)


def test_no_page_shows_raw_sphinx_or_doctest_markup():
    found = []
    for page in pages():
        tree = parse(page.read_text())
        text = tree.text(skip=("script", "style"))
        where = page.relative_to(SITE)
        found += [f"{where}: Sphinx role {match}" for match in SPHINX_ROLE.findall(text)]
        found += [f"{where}: doctest directive" for _ in re.findall(r"doctest:", text)]
        found += [f"{where}: '::' block ({para.text()[-40:]!r})" for para in tree.find_all("p")
                  if para.text().rstrip().endswith("::")]
        found += [f"{where}: '>>>' example as a quote" for quote in tree.find_all("blockquote")
                  if quote.find_all("blockquote")]
        found += [f"{where}: raw __all__" for _ in re.findall(r"__all__\s*=", text)]
    assert found == [], "\n".join(found)


def takes_arguments(obj: object) -> bool:
    """A function, or a class whose constructor nnfs code defines (not object's, Exception's, Protocol's)."""
    if inspect.isfunction(obj):
        return True
    init = getattr(obj, "__init__", None) if inspect.isclass(obj) else None
    return getattr(init, "__module__", "").split(".")[0].startswith("nnfs_")


def test_every_public_name_has_a_reference_entry_with_its_signature():
    documented: dict[int, list[tuple[str, Node]]] = {}
    for path, block in objects():
        try:
            documented.setdefault(id(resolve(path)), []).append((path, block))
        except (LookupError, AttributeError):
            continue
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if name.startswith("__"):
                continue
            obj = getattr(module, name)
            entries = documented.get(id(obj), [])
            if inspect.ismodule(obj):
                continue  # nnfs_core's errors and registry: documented name by name above
            if not entries:
                missing.append(f"{module_name}.{name}: no entry")
            elif takes_arguments(obj) and not any(block.signature() for _, block in entries):
                missing.append(f"{module_name}.{name}: no signature")
    assert missing == [], "\n".join(missing)


def test_methods_pack_authors_write_are_documented():
    names = {path for path, _ in objects()}
    for method in ("Layer.build", "Layer.forward", "Layer.backward", "BaseLayer.build", "BaseLayer.forward_pass",
                   "BaseLayer.backward_pass", "BaseLayer.forward", "BaseLayer.backward", "BaseLoss.forward",
                   "BaseLoss.backward", "BaseOptimizer.update", "BaseScheduler.get_lr"):
        assert f"nnfs_core.protocols.{method}" in names, method


def test_nav_labels_are_page_titles_and_unique():
    titles = {}
    for page in pages():
        tree = parse(page.read_text())
        heading = tree.find_all("h1")
        if heading:
            titles.setdefault(heading[0].text().strip(" ¶"), []).append(str(page.relative_to(SITE)))
    assert {title: where for title, where in titles.items() if len(where) > 1} == {}


def test_site_has_a_sitemap_with_absolute_links_and_no_build_scripts():
    assert SITE is not None
    sitemap = (SITE / "sitemap.xml").read_text()
    assert "<loc>http" in sitemap
    assert not list(SITE.rglob("*.py"))


@pytest.mark.parametrize("path", ["nnfs_core.network.Network", "nnfs_core.network.Network.fit"])
def test_the_main_entry_points_document_every_parameter(path):
    tables = [block for found, block in objects() if found == path]
    assert tables, f"{path} has no reference entry"
    documented = {name for name, _ in tables[0].parameter_rows()}
    assert set(signature_parameters(resolve(path))) - documented == set()


def test_every_internal_link_reaches_its_anchor():
    assert SITE is not None
    ids: dict[Path, set[str]] = {}

    def anchors(page: Path) -> set[str]:
        if page not in ids:
            tree = parse(page.read_text())
            ids[page] = {node.attrs["id"] for node in tree.find_all_with("id")}
        return ids[page]

    broken = []
    for page in pages():
        for link in parse(page.read_text()).find_all("a"):
            href = link.attrs.get("href", "")
            if "#" not in href or "://" in href or href.startswith("mailto:"):
                continue
            target, _, fragment = href.partition("#")
            target_page = (page.parent / target).resolve() if target else page
            if target_page.is_dir():
                target_page = target_page / "index.html"
            if fragment and target_page.exists() and fragment not in anchors(target_page):
                broken.append(f"{page.relative_to(SITE)}: {href}")
    assert broken == [], "\n".join(broken)
