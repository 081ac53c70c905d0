"""The interface language: gettext catalogues (crmcli/locale/*/LC_MESSAGES/crmcli.mo).

Human text is wrapped where it is shown: ``_("Customer #{id} added.").format(id=…)``, plural
text with ``ngettext``; machine keys (csv headers, json keys, kinds, exit codes) never are.
Help texts (Typer ``help=``, command docstrings, table headers) stay plain literals: the
extractor (crmcli/i18n_extract.py) finds them, and cli.py translates them when it builds a
command. English is the source text, so English needs no catalogue.

The language is ``CRMCLI_LANG``, else policy ``language`` once a database is open, else the
locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``). The catalogue is read with the standard
library's gettext, the first time a text is translated: Babel is a development tool only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

LANGUAGES = ("zh-Hant", "zh-Hans", "en")
DOMAIN = "crmcli"
LOCALE_DIR = Path(__file__).parent / "locale"

_policy: str | None = None  # policy `language` of the open database
_catalogues: dict[str, Any] = {}


def normalize(code: str) -> str | None:
    """A language code as a person or a locale writes it (zh_TW.UTF-8, zh-hant, ZH_CN, en_GB)
    → one of LANGUAGES, or None when it names none of them."""
    text = code.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if not text:
        return None
    if text in ("zh-hant", "zh-tw", "zh-hk", "zh-mo") or text.startswith("zh-hant"):
        return "zh-Hant"
    if text in ("zh", "zh-hans", "zh-cn", "zh-sg", "zh-my") or text.startswith("zh-hans"):
        return "zh-Hans"
    if text == "en" or text.startswith("en-") or text in ("c", "posix"):
        return "en"
    return None


def locale_language(environ: Any = None) -> str:
    """The language the locale asks for (what ``init`` writes into policy ``language``)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return normalize(value) or "en"
    return "en"


def language() -> str:
    """The language of the interface now."""
    explicit = normalize(os.environ.get("CRMCLI_LANG", ""))
    if explicit:
        return explicit
    return _policy or locale_language()


def use_policy(value: str | None) -> None:
    """The open database's policy ``language`` (None: the database has none)."""
    global _policy
    _policy = normalize(value) if value else None


def _catalogue(code: str) -> Any:
    found = _catalogues.get(code)
    if found is None:
        import gettext

        found = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code.replace("-", "_")],
                                    fallback=True)
        _catalogues[code] = found
    return found


def gettext(message: str) -> str:
    code = language()
    if code == "en" or not message:
        return message
    return str(_catalogue(code).gettext(message))


def pgettext(context: str, message: str) -> str:
    """A message whose translation depends on where it is used (``due`` as a count heading
    and as a date heading)."""
    code = language()
    if code == "en":
        return message
    return str(_catalogue(code).pgettext(context, message))


def ngettext(singular: str, plural: str, n: int) -> str:
    code = language()
    if code == "en":
        return singular if n == 1 else plural
    return str(_catalogue(code).ngettext(singular, plural, n))


_ = gettext


def gap() -> str:
    """What separates two sentences or a text and its bracket: a space in English, nothing in
    Chinese (its punctuation is full width)."""
    return "" if language().startswith("zh") else " "


def join(*sentences: str) -> str:
    """Sentences one after another (empty ones left out)."""
    return gap().join(s for s in sentences if s)


def word(value: str, sense: bool | str = True) -> str:
    """A word of the data (a kind, a state) in the interface language: its translation in its
    ``sense`` where one is given (``pgettext(sense, …)``: an invoice's ``paid`` is settled, a
    service's ``paid`` is charged for), else as a word (``pgettext("word", …)``: ``sent``, a
    notice's state, is not the ``sent`` heading of a time), else its plain translation."""
    if language() == "en" or not value:
        return value
    for context in ((sense, "word") if isinstance(sense, str) else ("word",)):
        found = pgettext(context, value)
        if found != value:
            return found
    return gettext(value)


def heading(text: str) -> str:
    """A table's column heading in the interface language: its translation as a heading where
    one is given (``pgettext("heading", …)``: the ``paid`` amount of an invoice is not a paid
    service), else its plain translation."""
    if language() == "en" or not text:
        return text
    found = pgettext("heading", text)
    return found if found != text else gettext(text)


def _words_with_a_sense_of_their_own() -> None:  # never called: marks them for the catalogue
    pgettext("word", "sent")
    pgettext("word", "held")
    pgettext("invoice", "paid")
    pgettext("word", "received")
    pgettext("heading", "paid")
    pgettext("heading", "for")
    N_("not configured")
    N_("up to date")
    N_("no replica yet (is litestream replicate running?)")
    N_("behind (is litestream replicate running?)")


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where shown."""
    return message


def paragraphs(text: str) -> str:
    """A help text (a docstring) translated paragraph by paragraph; each paragraph's message is
    its words joined by single spaces, as Click rewraps them anyway. ``Example:`` lines keep
    the command as it is typed."""
    if language() == "en" or not text:
        return text
    out = []
    for paragraph in text.strip().split("\n\n"):
        if paragraph.startswith("\b"):
            out.append(paragraph)
            continue
        lines = paragraph.splitlines()
        examples = [line for line in lines if line.strip().startswith("Example:")]
        prose = [line for line in lines if not line.strip().startswith("Example:")]
        translated = []
        if prose:
            translated.append(gettext(" ".join(" ".join(prose).split())))
        label = gettext("Example:")
        gap = "" if label.endswith("：") else " "
        translated += [label + gap + line.strip()[len("Example:"):].strip() for line in examples]
        out.append("\n".join(translated))
    return "\n\n".join(out)


def help_messages(text: str) -> list[str]:
    """The messages ``paragraphs`` looks up for a help text (for the extractor)."""
    found = []
    for paragraph in text.strip().split("\n\n"):
        if paragraph.startswith("\b"):
            continue
        prose = [line for line in paragraph.splitlines()
                 if not line.strip().startswith("Example:")]
        if prose:
            found.append(" ".join(" ".join(prose).split()))
        if len(prose) < len(paragraph.splitlines()):
            found.append("Example:")
    return [message for message in found if message]


def range_text(low: int | None, high: int | None) -> str:
    """A number range as people write it: 1–5, at least 1, at most 9."""
    big = 2**31
    if low is not None and high is not None and high < big:
        return f"{low}–{high}"
    if low is not None:
        return gettext("at least {low}").format(low=low)
    if high is not None and high < big:
        return gettext("at most {high}").format(high=high)
    return ""


# Click's messages a crmcli user meets, said in crmcli's words (cli.py maps Click's
# exceptions onto them; Typer's bundled Click has no catalogue of its own).
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options:"), N_("Arguments:"), N_("Commands:"),
    N_("Show this message and exit."), N_("required"), N_("default:"),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)


# Words of the data that sentences and tables show (kinds, methods, states): stored and written
# to csv/json as they are, translated only where a person reads them.
WORDS = (
    N_("minor"), N_("major"), N_("open"), N_("escalated"), N_("closed"), N_("pending"),
    N_("done"), N_("done late"), N_("cancelled"), N_("overdue"), N_("met"), N_("late"),
    N_("missed"),
    N_("complaint"), N_("repair"), N_("paid"), N_("maintenance"), N_("survey"), N_("routine"),
    N_("care"), N_("cadence"), N_("annual"), N_("response"), N_("report"), N_("resolve"),
    N_("followup"), N_("phone"), N_("wechat"), N_("in-person"), N_("email"), N_("letter"),
    N_("visit"), N_("hotline"), N_("web"), N_("opened"), N_("responded"), N_("upgraded"),
    N_("reopened"), N_("noted"), N_("reported"), N_("voided"), N_("edited"),
    N_("followed_up"), N_("pending"), N_("signoff"), N_("meeting"), N_("notice"),
    N_("unsatisfied"),
    # the front desk: requests, notices, meetings, the day's entries
    N_("inquiry"), N_("service"), N_("suggestion"), N_("praise"), N_("other"), N_("converted"),
    N_("replied"), N_("void"), N_("on time"), N_("LATE"), N_("MISSED"), N_("fire-safety"),
    N_("rectification"), N_("weather"), N_("greeting"), N_("invitation"),
    N_("OVERDUE"), N_("signed"), N_("unsigned"), N_("delivered"), N_("quarterly"),
    N_("special"), N_("held"), N_("request"), N_("closed"), N_("refused"), N_("received"),
    N_("part-paid"), N_("unpaid"), N_("ended"), N_("active"), N_("renewed"), N_("expired"),
    N_("replied to"), N_("reply"), N_("converted to"), N_("department"),
    # kinds of `visit due` and of visits
    N_("plan"), N_("referral"), N_("residence"), N_("inspection"), N_("renewal"),
    N_("refused-payment"), N_("review"), N_("deadline"), N_("handover"), N_("in-person/phone"),
    # money: billing, payment methods, states
    N_("monthly"), N_("yearly"), N_("once"), N_("future"), N_("transfer"), N_("cash"),
    N_("cheque"), N_("card"), N_("alipay"),
)
