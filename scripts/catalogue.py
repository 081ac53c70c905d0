"""The message catalogues: extract crmcli's human texts, update the .po files, compile the .mo.

    python scripts/catalogue.py update    # extract; add new messages to every .po; compile
    python scripts/catalogue.py compile   # .po → .mo (the .mo files are committed)
    python scripts/catalogue.py check     # list messages a language lacks (exit 1)

What counts as a message (see crmcli/i18n.py): the first argument of ``_``, ``gettext`` and
``N_``, both of ``ngettext``; every ``help=`` text; the docstring of every command and group
callback; table headers (``Column(key)`` or ``Column(key, header)``); the root help table
(``COMMANDS`` in cli.py) and the policy meanings (``HELP`` in policy.py). Help texts become one
message per paragraph (``i18n.help_messages``), as cli.py looks them up.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crmcli"
LOCALE = PACKAGE / "locale"
LANGUAGES = {"zh_Hant": "zh_Hant", "zh_Hans": "zh_Hans"}  # catalogue folder → Babel locale
sys.path.insert(0, str(ROOT))

from crmcli.i18n import help_messages  # noqa: E402

Message = str | tuple[str, str]  # a text, or (singular, plural), or "context\x04text"


def _text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def messages_in(source: str) -> Iterator[tuple[Message, int]]:
    """Every message of one module, with its line."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            first = _text(node.args[0]) if node.args else None
            if called in ("_", "gettext", "N_") and first is not None:
                yield first, node.lineno
            elif called == "pgettext" and len(node.args) >= 2:
                text = _text(node.args[1])
                if first is not None and text is not None:
                    yield f"{first}\x04{text}", node.lineno
            elif called == "ngettext" and len(node.args) >= 2:
                second = _text(node.args[1])
                if first is not None and second is not None:
                    yield (first, second), node.lineno
            elif called == "Column" and node.args and not any(
                    k.arg == "in_table" and isinstance(k.value, ast.Constant)
                    and k.value.value is False for k in node.keywords):
                header = _text(node.args[1]) if len(node.args) > 1 else None
                for keyword in node.keywords:
                    if keyword.arg == "header":
                        header = _text(keyword.value)
                label = header or first
                if label:
                    yield label, node.lineno
            for keyword in node.keywords:
                text = _text(keyword.value) if keyword.arg == "help" else None
                if text:
                    for message in help_messages(text):
                        yield message, node.lineno
        elif isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and _name(d.func) in ("command", "callback")
                for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                for message in help_messages(inspect.cleandoc(doc)):
                    yield message, node.lineno
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(
                node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id.endswith(("COMMANDS", "HELP", "LABELS"))
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])):
            for value in node.value.values:
                text = _text(value)
                if isinstance(value, ast.Tuple):
                    text = _text(value.elts[-1])
                if text:
                    yield " ".join(text.split()), value.lineno


def extract() -> dict[Message, list[tuple[str, int]]]:
    """Every message of the package, with where it occurs (a text with no Latin letter, such
    as a form's own Chinese name, is a name and not a message)."""
    found: dict[Message, list[tuple[str, int]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        for message, line in messages_in(path.read_text(encoding="utf-8")):
            text = message if isinstance(message, str) else message[0]
            if not re.search("[A-Za-z]", text):
                continue
            found.setdefault(message, []).append((relative, line))
    return found


def po_path(folder: str) -> Path:
    return LOCALE / folder / "LC_MESSAGES" / "crmcli.po"


def read(folder: str) -> object:
    from babel.messages.pofile import read_po

    with po_path(folder).open("rb") as handle:
        return read_po(handle, locale=LANGUAGES[folder])


def missing(folder: str, found: dict[Message, list[tuple[str, int]]] | None = None
            ) -> list[tuple[Message, list[tuple[str, int]]]]:
    """Messages of the code that the language has no translation for."""
    found = extract() if found is None else found
    path = po_path(folder)
    if not path.exists():
        return sorted(found.items(), key=lambda item: item[1])
    catalogue = read(folder)
    lacking = []
    for message, where in found.items():
        msgid = message[0] if isinstance(message, tuple) else message
        context = None
        if "\x04" in msgid:
            context, msgid = msgid.split("\x04", 1)
        entry = catalogue.get(msgid, context)  # type: ignore[attr-defined]
        strings = entry.string if entry is not None else None
        complete = all(strings) if isinstance(strings, tuple | list) else bool(strings)
        if entry is None or not complete or entry.fuzzy:
            lacking.append((message, where))
    return sorted(lacking, key=lambda item: item[1])


def update() -> None:
    """Add the code's new messages to every catalogue (empty), mark the gone ones obsolete."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    found = extract()
    template = Catalog(project="crmcli", charset="utf-8")
    for message, where in found.items():
        if isinstance(message, str) and "\x04" in message:
            context, text = message.split("\x04", 1)
            template.add(text, locations=where, context=context)
        else:
            template.add(message, locations=where)
    for folder, babel_locale in LANGUAGES.items():
        path = po_path(folder)
        if path.exists():
            catalogue = read(folder)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalogue = Catalog(locale=babel_locale, project="crmcli", charset="utf-8")
        catalogue.update(template, no_fuzzy_matching=True)  # type: ignore[attr-defined]
        catalogue.obsolete.clear()  # type: ignore[attr-defined]
        with path.open("wb") as handle:
            write_po(handle, catalogue, width=100, sort_output=False, omit_header=False)
    compile_all()


def compile_all() -> None:
    from babel.messages.mofile import write_mo

    for folder in LANGUAGES:
        catalogue = read(folder)
        with (po_path(folder).with_suffix(".mo")).open("wb") as handle:
            write_mo(handle, catalogue, use_fuzzy=False)  # type: ignore[arg-type]


def describe(message: Message, where: list[tuple[str, int]]) -> str:
    text = message if isinstance(message, str) else " | ".join(message)
    return f"{where[0][0]}:{where[0][1]}: {text!r}"


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    lacking = {folder: missing(folder) for folder in LANGUAGES}
    for folder, items in lacking.items():
        for message, where in items:
            print(f"{folder}: {describe(message, where)}")
    return 1 if command == "check" and any(lacking.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
