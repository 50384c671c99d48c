"""Knowledge versus behaviour: the central judgment of ragtune.

*Knowledge* is declarative and goes stale: prices, dates, versions, limits, policy
clauses, contact details, specifications, reference text, FAQ answers.  It belongs in
documents that are retrieved (seed 003: "if your problem is 'the model doesn't know
X', RAG").  *Behaviour* is how the model must act: instructions, persona, tone,
formats, schemas, few-shot demonstrations, decision rules.  It belongs in weights or
in structured outputs ("if your problem is 'the model doesn't act like Y',
fine-tune").

The classifier scores each line on weighted features, lets a little structure flow
down (an ``<example>`` block, a few-shot Q/A ladder, a table whose header names
output fields, a section headed "Rules"), and weighs each line by its length so a
long factual paragraph outweighs a one-line instruction above it.  It is pure
standard library, deterministic, and every regular expression is linear-time: no
unbounded repetition that can restart at every position of a long run.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from ragtune.analyzers.models import Classification, LineEvidence, VolatileFact

__all__ = ["classify_knowledge_vs_behaviour", "find_volatile_facts"]

KNOWLEDGE_SHARE_FOR_VERDICT = 0.6
BEHAVIOUR_SHARE_FOR_VERDICT = 0.4  # knowledge share at or below this is "behaviour"
MAX_EVIDENCE_LINES = 8
MAX_EVIDENCE_TEXT = 160

# ---------------------------------------------------------------------------
# Template holes: their value is unknown statically, so they carry no signal.
# Each alternative starts with a literal and scans a class that excludes it, with a
# bound, so the pattern cannot go quadratic.

_TEMPLATE_HOLE = re.compile(
    r"\{\{[^{}\n]{0,200}\}\}"  # Jinja / Handlebars / Mustache
    r"|\{%[^%\n]{0,300}%\}"  # Jinja statements
    r"|\{#[^#\n]{0,300}#\}"  # Jinja comments
    r"|\$\{[^{}\n]{1,200}\}"  # JS template literals, string.Template
    r"|\{[A-Za-z_][\w.\[\]'\"-]{0,80}\}"  # f-strings, str.format, LangChain
)


def _blank_template_holes(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Replace each hole by spaces of the same length, keeping every offset valid."""
    spans = [(m.start(), m.end()) for m in _TEMPLATE_HOLE.finditer(text)]
    if not spans:
        return text, spans
    pieces: list[str] = []
    previous_end = 0
    for start, end in spans:
        pieces.append(text[previous_end:start])
        pieces.append(" " * (end - start))
        previous_end = end
    pieces.append(text[previous_end:])
    return "".join(pieces), spans


# ---------------------------------------------------------------------------
# Volatile facts
#
# Speed rule for every pattern here: it starts with a digit or a literal, so the
# regex engine can skip ahead to candidates instead of attempting a match at every
# position.  "Not in the middle of a number" is a fixed-width lookbehind placed
# *after* the first digit (``\d(?<![\w.,]\d)``), which keeps that fast start and
# fails at once inside long digit runs.  Context to the left of a number (a currency
# code, "up to", "within", a month name) is checked in Python on the few candidates.

_NUMBER_START = r"\d(?<![A-Za-z0-9\u00C0-\u024F_.,'’]\d)"
# Digits with inner separators only: "1.078,80" but not the comma of "29,90, CHF".
_NUMBER_REST = r"(?:[.,'’]?\d){0,14}"
_SWISS_DASH = r"(?:\.[–-]|,[–-])?"
_PER_PERIOD = (
    r"(?:\s?(?=[/a-z])(?:/|per\s|a\s|an\s|each\s|pro\s|par\s|por\s|al\s|ao\s)\s?"
    r"(?:month|mo|year|yr|annum|user|seat|member|night|day|week|hour|person|unit|license"
    r"|Monat|Jahr|mois|an|mes|año|mês|ano|Nutzer|utilisateur|usuario|usuário)\b)?"
)
_LETTER_NEXT = r"(?=[^\W\d_])"
_CURRENCY_AFTER = (
    r"(?=[^\W\d_]|[€£¥円元₹])(?:€|£|¥|円|元|₹|CHF|USD|EUR|GBP|JPY|BRL|CAD|AUD|INR|CNY|SEK|NOK|DKK|PLN|MXN"
    r"|dollars?|euros?|pounds?|francs?|reais|real|yen|yuan|rupees?|cents?|Euro|Franken)"
)
_PRICE_SYMBOL_FIRST = re.compile(
    rf"[$€£¥₹₩₽]\s?\d{_NUMBER_REST}{_SWISS_DASH}{_PER_PERIOD}"
    rf"|(?:CHF|USD|EUR|GBP|JPY|BRL|CAD|AUD|INR|CNY|RMB|SEK|NOK|DKK|PLN|MXN)\s?\d{_NUMBER_REST}{_SWISS_DASH}{_PER_PERIOD}"
)
_PRICE_NUMBER_FIRST = re.compile(
    rf"{_NUMBER_START}{_NUMBER_REST}{_SWISS_DASH}\s?{_CURRENCY_AFTER}(?![A-Za-z]){_PER_PERIOD}"
)
_CURRENCY_PREFIXES = ("US", "CA", "A", "R")  # "US$", "R$": letters before a "$"

_MONTH_NAMES = frozenset((
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    "|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre"
    "|januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
    "|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
    "|janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
).split("|"))
_DATE_NUMERIC = re.compile(
    r"\d(?<![\d/.]\d)(?:"
    r"\d{3}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?(?!\d)"  # ISO
    r"|\d?[/.]\d{1,2}[/.](?:\d{4}|\d{2})(?![\d/]|\.\d)"  # 31/12/2025, 1.1.2025
    r"|\d{3}年\d{1,2}月(?:\d{1,2}日)?|\d?月\d{1,2}日"  # 2025年4月1日
    r"|\d?(?:st|nd|rd|th|er|º|°)?\.?\s(?:of\s|de\s)?(?P<month_after_day>[^\W\d_]{3,10})\.?,?\s(?:de\s)?\d{4}(?!\d)"
    r")"
)
# A year, then a look back for "March 3, " or "diciembre de ".
_YEAR = re.compile(r"(?:19|20)(?<![\d.,/-]\d\d)\d\d(?!\d)")
_MONTH_BEFORE_YEAR = re.compile(r"([^\W\d_]{3,10})\.?\s(?:de\s)?(?:\d{1,2}(?:st|nd|rd|th)?,?\s)?$")
_QUARTER = re.compile(r"(?:Q[1-4]|H[12])\s?(?:FY\s?)?(?:\d{4}|'\d{2})(?!\d)|FY\s?\d{2,4}(?!\d)")

_VERSION_NUMERIC = re.compile(
    r"v\d{1,4}(?:\.\d{1,4}){1,3}(?![\w.]|\.\d)"
    r"|\d(?<![\w.]\d)\d{0,3}\.\d{1,4}\.\d{1,4}(?!\w|\.\d)"  # three parts; an IP has four
)
_VERSION_NAMED = re.compile(
    r"(?:Python|Node\.js|Node|Java|JDK|iOS|iPadOS|macOS|Android|Windows|Ubuntu|Debian|RHEL"
    r"|Chrome|Firefox|Safari|PostgreSQL|Postgres|MySQL|Redis|Kubernetes|Go|Rust|Ruby|Rails"
    r"|PHP|TLS|SSL|HTTP|Django|Flask|React|Angular|Vue|Next\.js|\.NET|Swift|Kotlin|Scala"
    r"|GPT|Claude|Gemini|Llama|Mistral|CUDA|Elasticsearch|MongoDB|Terraform|Spring"
    r"|version|versions|Version|versión|versão|バージョン)"
    r"[ -]?v?\d{1,4}(?:\.\d{1,4}){0,3}[a-z]?(?![\w.]|\.\d)"
)

# Counted things that describe an answer's shape, not a fact about the world.
_FORMAT_UNITS = (
    r"(?:words?|sentences?|paragraphs?|bullets?|bullet points?|characters?|chars|tokens?|lines?"
    r"|items?|examples?|results?|steps?|tags?|points?|emojis?|options?|questions?|sub-tasks?|rows)\b"
)
# Units of quotas and sizes.  Deliberately absent: the format units above --
# "under 120 words" or "top 3 results" instruct the output, they are not facts.
_QUOTA_UNITS = (
    r"(?=[^\W\d_])(?:seats?|users?|members?|projects?|requests?|calls?|API calls|queries|messages"
    r"|devices?|licen[cs]es?|workspaces?|repositories|repos|accounts?|credits?|emails?"
    r"|GB|MB|TB|KB|kB|GiB|MiB|TiB|Go|Mo|To|Nutzer|Benutzer|utilisateurs?|usuarios?|usuários?"
    r"|Speicher|connections|concurrent \w{1,20}|builds?|minutes of \w{1,20})"
)
_LIMIT = re.compile(
    rf"{_NUMBER_START}(?:"
    rf"{_NUMBER_REST}\s?{_QUOTA_UNITS}\b"
    r"(?:\s?(?:/|per\s|a\s|an\s|each\s|pro\s|par\s|por\s)\s?(?:second|sec|s|minute|min|hour|day|week|month|year|user|seat|key|project)\b)?"
    r"|\d{0,3}[- ](?=[dwmyh])(?:day|week|month|year|hour)s?[- ](?:refund|return|trial|money-back"
    r"|grace|warranty|cancellation|free trial|guarantee)(?:\s(?:window|period|policy))?\b"
    r")",
    re.IGNORECASE,
)
# "up to 64 connected devices": any counted noun, when a limit phrase precedes it.
_COUNTED_NOUN = re.compile(rf"\d[\d.,]{{0,12}}\s?(?!{_FORMAT_UNITS})[A-Za-z]{{1,12}}\b")
_LIMIT_PHRASES = (
    "up to ", "at most ", "maximum of ", "maximum ", "max. ", "max ", "minimum of ", "minimum ",
    "at least ", "no more than ", "limited to ", "capped at ", "bis zu ", "maximal ", "höchstens ",
    "jusqu'à ", "jusqu’à ", "hasta ", "até ", "no máximo ",
)

_DURATION = re.compile(
    rf"{_NUMBER_START}\d{{0,3}}(?:\s?[-–]\s?\d{{1,4}})?\s{_LETTER_NEXT}(?:business |working |calendar |natural |full )?"
    r"(?:days?|weeks?|months?|years?|hours?|Tage[n]?|Wochen|Monate[n]?|Jahre[n]?"
    r"|jours|semaines|mois|ans|días|dias|semanas|meses|años|anos|horas)\b",
    re.IGNORECASE,
)
_POLICY_PHRASES = (
    "within ", "after ", "no later than ", "for ", "at least ", "up to ", "innerhalb von ",
    "binnen ", "dans un délai de ", "sous ", "dentro de ", "en un plazo de ",
    "en un plazo máximo de ", "em até ", "no prazo de ", "prazo de ", "mindestens ",
    "kündigungsfrist von ", "préavis de ", "beträgt ", "est de ", "es de ", "é de ",
)
_POLICY_SUFFIX = re.compile(
    r"'?\s(?:of (?:purchase|delivery|receipt|the (?:incident|invoice|order|birth))"
    r"|from (?:the )?(?:date|delivery|purchase|receipt)|after (?:purchase|delivery|the)"
    r"|notice|written notice|of paid leave|at full pay|desde la entrega|zum Vertragsende"
    r"|à compter de|nach Erhalt|ab dem)",
    re.IGNORECASE,
)

# Percentages are volatile only as money or policy terms ("fee of 15%", "20% off");
# "confidence above 80%" in a prompt is a decision rule, not a fact.
_PERCENT = re.compile(rf"{_NUMBER_START}\d{{0,2}}(?:[.,]\d{{1,2}})?\s?%")
_PERCENT_CONTEXT = re.compile(
    r"fee|discount|off\b|save|interest|commission|tax|vat|mwst|tva|iva|surcharge|deposit|refund"
    r"|rabatt|remise|descuento|desconto|juros|rate|charge|cashback|betrag|montant|apr\b|restocking",
    re.IGNORECASE,
)

# Contacts start with a literal; an e-mail's local part is found by walking back
# from the "@" (a leading character class would be retried along a long word).
_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,6}\b")
_EMAIL_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'`)\]]{2,300}")
_PHONE = re.compile(
    r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,5}){1,4}"
    r"|\(\d{3}\)\s?\d{3}-\d{4})(?!\w)"
    r"|\d(?<![\w-]\d)(?:-\d{3}|\d{2})-\d{3}-\d{4}(?![\w-])"
)
_PHONE_LABELLED = re.compile(
    r"(?:phone|Phone|tel|Tel|telephone|Telephone|téléphone|Téléphone|telefon|Telefon|teléfono"
    r"|Teléfono|telefone|Telefone|call us|Call us|電話(?:番号)?)"
    r"(?: on| at)?\s?[:：]?\s?(\d[\d ().-]{5,18}\d)"
)
_DIGIT_TO_LINE_END = re.compile(r"\d[^\n]*")

_FACT_KIND_PRIORITY = {"price": 0, "date": 1, "contact": 2, "version": 3, "limit": 4, "policy": 5}


def _letter_before(text: str, start: int) -> bool:
    return start > 0 and (text[start - 1].isalpha() or text[start - 1] == "_")


def _phrase_before(text: str, start: int, phrases: tuple[str, ...]) -> int:
    """Start of the phrase that ends right before ``start``, or -1."""
    window = text[max(0, start - 26) : start].lower()
    for phrase in phrases:
        if window.endswith(phrase):
            begin = start - len(phrase)
            if begin == 0 or not text[begin - 1].isalpha():
                return begin
    return -1


def _lines_with_digits(text: str) -> tuple[str, list[int], list[int]]:
    """The lines of ``text`` that hold a digit, joined, with a map back to ``text``.

    Every fact but an e-mail or a URL contains a digit, and prose mostly has none:
    scanning only these lines keeps plain prose nearly free.
    """
    parts: list[str] = []
    joined_starts: list[int] = []
    original_starts: list[int] = []
    joined_length = 0
    for match in _DIGIT_TO_LINE_END.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        parts.append(text[line_start : match.end()])
        joined_starts.append(joined_length)
        original_starts.append(line_start)
        joined_length += match.end() - line_start + 1
    return "\n".join(parts), joined_starts, original_starts


def _numeric_fact_candidates(text: str) -> list[tuple[int, int, str]]:
    """Facts that contain a digit, as (start, end, kind) in ``text``."""
    found: list[tuple[int, int, str]] = []
    for match in _PRICE_SYMBOL_FIRST.finditer(text):
        start = match.start()
        if text[start] == "$":
            for prefix in _CURRENCY_PREFIXES:
                if text.endswith(prefix, 0, start) and not _letter_before(text, start - len(prefix)):
                    start -= len(prefix)
                    break
        elif _letter_before(text, start):
            continue
        found.append((start, match.end(), "price"))
    found.extend((m.start(), m.end(), "price") for m in _PRICE_NUMBER_FIRST.finditer(text))

    for match in _DATE_NUMERIC.finditer(text):
        month = match.group("month_after_day")
        if month is None or month.lower() in _MONTH_NAMES:
            found.append((match.start(), match.end(), "date"))
    for match in _YEAR.finditer(text):
        before = _MONTH_BEFORE_YEAR.search(text, max(0, match.start() - 28), match.start())
        if before and before.group(1).lower() in _MONTH_NAMES and not _letter_before(text, before.start()):
            found.append((before.start(), match.end(), "date"))
    found.extend((m.start(), m.end(), "date") for m in _QUARTER.finditer(text) if not _letter_before(text, m.start()))

    for pattern in (_VERSION_NUMERIC, _VERSION_NAMED) if "." in text else (_VERSION_NAMED,):
        for match in pattern.finditer(text):
            start = match.start()
            if not _letter_before(text, start) and not (start > 0 and text[start - 1] in ".-"):
                found.append((start, match.end(), "version"))

    for match in _LIMIT.finditer(text):
        start = _phrase_before(text, match.start(), _LIMIT_PHRASES)
        found.append((match.start() if start < 0 else start, match.end(), "limit"))
    # Found from the phrase forward: a counted noun alone ("3 projects") is no limit.
    lowered = text.lower()
    if len(lowered) == len(text):
        for phrase in _LIMIT_PHRASES:
            position = lowered.find(phrase)
            while position != -1:
                match = _COUNTED_NOUN.match(text, position + len(phrase))
                if match and (position == 0 or not text[position - 1].isalpha()):
                    found.append((position, match.end(), "limit"))
                position = lowered.find(phrase, position + len(phrase))

    for match in _DURATION.finditer(text):
        start = _phrase_before(text, match.start(), _POLICY_PHRASES)
        suffix = _POLICY_SUFFIX.match(text, match.end())
        if start >= 0 or suffix:
            found.append((match.start() if start < 0 else start, suffix.end() if suffix else match.end(), "policy"))
    for match in _PERCENT.finditer(text) if "%" in text else ():
        window = text[max(0, match.start() - 40) : match.end() + 25]
        if _PERCENT_CONTEXT.search(window):
            found.append((match.start(), match.end(), "policy"))

    if "+" in text or "(" in text or "-" in text:
        found.extend((m.start(), m.end(), "contact") for m in _PHONE.finditer(text))
    found.extend((m.start(1), m.end(1), "contact") for m in _PHONE_LABELLED.finditer(text))
    return found


def _digit_fact_candidates(text: str) -> list[tuple[int, int, str]]:
    joined, joined_starts, original_starts = _lines_with_digits(text)
    if not joined:
        return []
    mapped: list[tuple[int, int, str]] = []
    for start, end, kind in _numeric_fact_candidates(joined):
        # A match never crosses the seams of the joined text.
        newline = joined.find("\n", start, end)
        if newline != -1:
            end = newline
        line = bisect_right(joined_starts, start) - 1
        shift = original_starts[line] - joined_starts[line]
        mapped.append((start + shift, end + shift, kind))
    return mapped


def _contact_candidates(text: str) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end(), "contact") for m in _URL.finditer(text)]
    for match in _EMAIL_DOMAIN.finditer(text):
        start = match.start()
        lowest = max(0, start - 64)
        while start > lowest and text[start - 1] in _EMAIL_LOCAL_CHARS:
            start -= 1
        if start < match.start():
            found.append((start, match.end(), "contact"))
    return found


@lru_cache(maxsize=64)
def _raw_volatile_facts(text: str) -> tuple[tuple[int, int, str], ...]:
    """Fact spans (start, end, kind) in ``text``, overlaps resolved, in order.

    Memoised: a system prompt is searched by the classifier (FT201/RAG104) and again by
    RAG102, and the search is a third of classifying it."""
    return tuple(_find_raw_volatile_facts(text))


def _find_raw_volatile_facts(text: str) -> list[tuple[int, int, str]]:
    candidates: list[tuple[int, int, str]] = []
    for start, end, kind in _digit_fact_candidates(text) + _contact_candidates(text):
        # Numbers may swallow a trailing separator ("$5," or "2025.").
        while end > start and text[end - 1] in ".,'’:;!?":
            end -= 1
        if end > start:
            candidates.append((start, end, kind))
    # Longest span first at each start; on a tie, the more specific kind.
    candidates.sort(key=lambda c: (c[0], c[0] - c[1], _FACT_KIND_PRIORITY[c[2]]))
    accepted: list[tuple[int, int, str]] = []
    covered_until = -1
    for start, end, kind in candidates:
        if start >= covered_until:
            accepted.append((start, end, kind))
            covered_until = end
        elif end > covered_until and accepted:
            # Overlapping spans merge into the earlier fact ("within 30 days of
            # purchase" reaching into a date is one policy clause).
            previous_start, _, previous_kind = accepted[-1]
            accepted[-1] = (previous_start, end, previous_kind)
            covered_until = end
    return accepted


def find_volatile_facts(text: str) -> list[VolatileFact]:
    """Spans of facts that go stale, with offsets into ``text``.

    Kinds and choices:

    - ``price``: an amount with a currency symbol or code on either side, any locale's
      separators ("$29/month", "29 USD", "€19,99", "19,99 €", "R$ 29,90", "CHF 5.–",
      "¥18,000", "2,200円"), with a "per month/seat" tail when present.
    - ``date``: ISO dates, day/month/year with slashes or dots, written months in
      English, French, German, Spanish and Portuguese, quarters and halves with a
      year ("Q3 2025"), and Japanese/Chinese 年月日.  A bare year is not reported:
      "2025" alone is too often a label or an amount.
    - ``version``: "v2.3.1", three-part numbers, "Python 3.12", "iOS 17",
      "version 2".  IP addresses (four parts) are not versions.
    - ``limit``: quotas and sizes with their unit ("5 seats", "up to 10 GB",
      "100 requests per minute") and term windows ("30-day refund window").
      Counts of words, sentences, bullets, tokens, steps or results are *not*
      limits: "under 120 words" or "top 3 results" instruct the output format.
    - ``policy``: durations tied to a clause ("within 14 days", "3 months' notice",
      "25 days of paid leave") and percentages near a money term ("restocking fee
      of 15%").  "1-5 rating scale" and "confidence above 80%" are not reported.
    - ``contact``: e-mail addresses, URLs, and phone numbers that are written
      internationally (+49 ...), US-style, or after a "phone:" label.

    Template holes (``{order_id}``, ``{{ name }}``, ``${x}``) are never facts, nor is
    anything inside them.  List numbering and "Step 1" carry no unit and so never
    match.
    """
    blanked, _ = _blank_template_holes(text)
    return [
        VolatileFact(kind=kind, start=start, end=end, text=text[start:end])  # type: ignore[arg-type]
        for start, end, kind in _raw_volatile_facts(blanked)
    ]


# ---------------------------------------------------------------------------
# Line features

_WORD = re.compile(r"(?:[nldjcs]|qu)'(?=[^\W\d_])|[^\W\d_]+(?:'[^\W\d_]+)?|\d+")
_LIST_MARKER = re.compile(r"^(?:>\s?)*(?:#{1,6}\s+|[-*+•·▪◦]\s+|\(?\d{1,3}[.):]\s+|\(?[a-hA-H][.)]\s+)?")
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__|`")
_XML_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]{0,40})(?:\s[^<>\n]{0,200})?(/?)>")
_FENCE = re.compile(r"^\s*(?:```|~~~)\s*([\w+-]{0,20})")
_LABEL_PREFIX = re.compile(r"^\s*([A-Za-z\u00C0-\u024F][\w \u00C0-\u024F-]{0,24}?)\s?[:：]\s?(.*)$")
# Line features.  Same speed rule as the fact patterns: a digit or literal first.
_COUNTED_FORMAT_UNITS = (
    r"[\s-](?=[^\W\d_])(?:words?|sentences?|paragraphs?|bullets?|bullet points|characters?|chars|tokens?"
    r"|lines?|items?|emojis?|exclamation marks?|sätze[n]?|wörter[n]?|phrases?|mots|palabras"
    r"|frases|párrafos|palavras|parágrafos|points?)\b"
)
_FORMAT_COUNT_DIGITS = re.compile(r"\d(?<![\w.,]\d)\d{0,3}" + _COUNTED_FORMAT_UNITS, re.IGNORECASE)
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten twenty fifty hundred".split())
_FORMAT_COUNT_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)" + _COUNTED_FORMAT_UNITS
)
_TYPE_ANNOTATION = re.compile(
    r":(?<=[\"'\w]:)\s?\"?(?:string|str|number|integer|int|float|boolean|bool|array|object"
    r"|null|list\[|enum|date|datetime|\[\]|YYYY-MM-DD)\b"
    r"|:(?<=[\"'\w] :)\s?\"?(?:string|number|integer|boolean|array|object)\b"
    r"|<(?:string|number|int|integer|bool|boolean|date|text|value|answer|label)>"
    r"|\"(?:YYYY-MM-DD|ISO 8601[^\"]{0,30}|\.\.\.|…)\"",
    re.IGNORECASE,
)
_SCHEMA_KEY = re.compile(
    r"(?:\$schema|type|properties|required|enum|additionalProperties|items|maxLength"
    r"|minLength|minimum|maximum|pattern|anyOf|oneOf|allOf|\$ref|definitions|\$defs"
    r"|minItems|maxItems|const)[\"']?\s?:",
)
# "price_eur: 349.00", '"stock": 320' -- led by the separator, so the scanner skips ahead.
_KEY_NUMBER = re.compile(r"[:=](?:(?<=[A-Za-z_\"'][:=])|(?<=[A-Za-z_\"'] [:=]))\s?[\"']?-?\d[\d.,]{0,14}(?![\w-]|\.\d)")
_CLOCK = re.compile(r"\d(?<![\d:]\d)(?:\d?[:h]\d{2}(?![\d:])|\d?\s?(?:am|pm)\b)", re.IGNORECASE)
_SPEC_VALUE = re.compile(
    r"\d(?<![\w.,]\d)(?:[\d.,]{0,10}\s?(?:×\s?\d{1,5}\s?)?(?=[A-Za-z°])(?:GB|MB|TB|KB|GHz|MHz|Hz|kWh|Wh|mAh|W|V|kg|g|mg|ml|mL|l"
    r"|km|m|cm|mm|inch|in|inches|°C|°F|°|lbs?|oz|fps|dpi|ppi|Mbps|Gbps|ms|rpm|px|bar|kW|PS|hp"
    r"|nits|cores?|core|threads|MP|tablets?|pieces|liters?|litres?|meters?|metres)\b"
    r"|\d{2,4}\s?[×x]\s?\d{3,5})",
)

# Words that open an instruction.  Spanish/Portuguese/French/German forms are the
# second-person imperatives prompts use; a few English words are also nouns
# ("use", "answer"), so the first word only counts at the start of a line.
_IMPERATIVE_OPENERS = frozenset(
    """
    act add answer apologise apologize apply ask assume avoid award be begin call categorise
    categorize check choose cite classify close compare compose confirm consider convert copy
    correct create decide decline default describe detect determine do don't dont draft
    emphasise emphasize end ensure escalate estimate evaluate explain extract fill find
    finish flag focus follow format generate give grade greet group hand identify ignore
    include infer insert introduce keep label lead leave limit link list look make map mark
    match mention merge never always normalise normalize note offer omit only open order
    output paraphrase penalise penalize pick place point prefer prefix preserve prioritise
    prioritize produce provide put quote rank rate read recommend redirect refer refuse
    remember remove rephrase reply report respond restate return review rewrite route run
    say score select separate show sign skip sort speak split start state stay stick stop
    structure suggest summarise summarize tag tailor tell think translate treat try
    use validate verify wrap write
    réponds répondez utilise utilisez jamais toujours termine terminez donne donnez
    écris écrivez sois soyez évite évitez fournis fournissez indique indiquez reste restez
    garde gardez commence commencez transmets transmettez demande demandez traduis
    traduisez résume résumez classe classez extrais extrayez renvoie renvoyez retourne
    retournez cite citez mentionne mentionnez propose proposez vérifie vérifiez invente
    antworte antworten verwende verwenden gib geben erfinde erfinden schreibe schreiben
    schreib nutze nutzen halte halten fasse fassen beginne beginnen nenne nennen vermeide
    vermeiden achte achten formuliere formulieren übersetze übersetzen prüfe prüfen frage
    fragen niemals immer gehe stelle stellen
    responde responda contesta conteste usa use utiliza utilice escribe escriba menciones
    pide pídele pida evita evite incluye incluya mantén mantenga nunca siempre devuelve
    devuelva indica indique termina termine comienza comience resume resuma traduce
    traduzca clasifica clasifique extrae extraiga sé sea menciones inventes uses digas
    escreva responda utilize comece termine sempre inclua mantenha retorne seja forneça
    forneca diga evite use trate invente mencione
    """.split()
)
_NEGATION_OPENERS = frozenset(("no", "não", "nao", "ne", "n", "nicht", "kein", "keine"))
_PERSONA_OPENERS = re.compile(
    r"^(?:you are|you're|you will be|act as|acting as|your role|your task|your job|your goal"
    r"|as an? [\w -]{1,40}, you|tu es|vous êtes|du bist|sie sind ein|eres|usted es|você é|voce e|tu és"
    r"|あなたは|你是|您是|你的任务|你扮演)",
    re.IGNORECASE,
)
_RULE_WORDS = frozenset(
    """
    never always must mustn't should shouldn't cannot can't only strictly exactly
    jamais toujours doit devez dois uniquement seulement
    niemals immer muss musst müssen nie nur ausschließlich keinesfalls
    nunca siempre debes debe solo sólo únicamente sempre deve apenas somente jamás
    """.split()
)
_DECISION_OPENERS = frozenset(
    "if when unless otherwise whenever si sinon lorsque quand wenn falls sonst cuando se caso quando".split()
)
_FORMAT_WORDS = frozenset(
    """
    json yaml xml csv markdown bullet bullets bulleted lowercase uppercase capitalised capitalized
    sentence sentences paragraph paragraphs words schema field fields key keys format formatted
    tone voice style concise formal informal polite friendly emoji emojis heading headings
    numbered commentary prose plain verbatim punctuation header column columns table
    label labels tag tags template wording phrase phrases
    format formato formatação ton tonalité stil stichpunkte aufzählungszeichen sätzen
    tono párrafos parágrafos vouvoiement tutoiement
    """.split()
)
_OUTPUT_VERBS = frozenset(
    "respond reply answer return output write produce format print emit generate".split()
)
_DECLARATIVE_VERBS = frozenset(
    """
    is are was were has have costs cost includes covers contains receives accepts accepted
    supports supported returns expires expire offers lasts ships charges charged requires
    required remains equals applies apply takes issued available valid billed renews renew
    starts ends opens closes runs weighs measures holds comes come comprises lists provides
    est sont coûte coûtent comprend inclut incluent dispose disposez offre
    ist sind beträgt betragen kostet kosten enthält gilt gelten bietet umfasst liegt
    es son está están cuesta cuestan incluye ofrece tiene dispones vale
    é são custa custam inclui oferece tem possui vale
    """.split()
)
_SECOND_PERSON = frozenset("you your yours tu vous du dein deine ihr tú usted você".split())
_CJK_BEHAVIOUR = ("ください", "すること", "しないで", "しなさい", "必ず", "禁止", "してはいけ", "請", "请", "不要", "必须", "務必", "务必", "始终", "切勿", "禁止", "应当", "不得")
_CJK_KNOWLEDGE_ENDINGS = ("です。", "ます。", "です", "ます", "。")
_BEHAVIOUR_TAG_WORDS = (
    "rule", "instruction", "format", "role", "persona", "style", "tone", "constraint",
    "guideline", "task", "output", "schema", "step", "response", "behavio", "system",
    "directive", "requirement",
)
_EXAMPLE_TAG_WORDS = ("example", "demo", "sample", "shot")
_KNOWLEDGE_TAG_WORDS = (
    "context", "document", "knowledge", "fact", "reference", "source", "passage", "catalog",
    "pricing", "price", "faq", "product", "info", "policy", "data", "article", "kb",
)
_BEHAVIOUR_HEADING_WORDS = frozenset(
    """
    rules rule instructions instruction format formatting output style tone guidelines persona
    role constraints requirements examples example behaviour behavior task steps workflow
    règles consignes regeln anweisungen ausgabe reglas instrucciones regras instruções
    """.split()
)
_KNOWLEDGE_HEADING_WORDS = frozenset(
    """
    pricing prices price plans plan specifications specs specification policy faq hours
    contact changelog release notes tarifs tarif preise tarife precios preços planos
    exclusions coverage fees shipping delivery returns refunds refund warranty features
    limits quotas glossary overview menu
    """.split()
)
_OUTPUT_TABLE_HEADERS = frozenset(
    "field column key type format rule property attribute datatype required allowed".split()
)
_TYPE_NAMES = frozenset(
    "string str text integer int number float boolean bool enum array list object date datetime null".split()
)
_FEW_SHOT_INPUT_LABELS = frozenset(
    """
    q question input user human customer review text sentence message query ticket email
    prompt example request utterance comment tweet post document passage article source
    english french german spanish eingabe entrée entrada pergunta pregunta frage
    """.split()
)
_FEW_SHOT_OUTPUT_LABELS = frozenset(
    """
    a answer output assistant ai bot agent label sentiment category intent response result
    classification json target translation summary tags tag class reply completion
    ausgabe sortie salida resposta respuesta antwort
    """.split()
)
_KNOWLEDGE_FACT_WEIGHTS = {"price": 1.6, "contact": 1.4, "date": 1.0, "version": 1.0, "limit": 1.1, "policy": 1.1}


@dataclass(slots=True)
class _LineScore:
    knowledge: float = 0.0
    behaviour: float = 0.0
    knowledge_reasons: dict[str, float] = field(default_factory=dict)
    behaviour_reasons: dict[str, float] = field(default_factory=dict)

    def add_knowledge(self, amount: float, reason: str) -> None:
        self.knowledge += amount
        self.knowledge_reasons[reason] = self.knowledge_reasons.get(reason, 0.0) + amount

    def add_behaviour(self, amount: float, reason: str) -> None:
        self.behaviour += amount
        self.behaviour_reasons[reason] = self.behaviour_reasons.get(reason, 0.0) + amount


@dataclass(slots=True)
class _LineContext:
    """What the structure around a line says, before its own words are read."""

    knowledge_prior: float = 0.0
    knowledge_prior_reason: str = ""
    behaviour_prior: float = 0.0
    behaviour_prior_reason: str = ""
    few_shot: bool = False  # demonstrations teach format whatever their content
    heading: bool = False
    skip: bool = False  # fences, separators, bare tags: structure, not content


_CJK_CHAR = re.compile("[\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef]")
_DIGIT = re.compile(r"\d")


def _line_weight(cleaned: str) -> float:
    """Characters, with CJK counted thrice: one ideograph carries about a word."""
    cjk = len(_CJK_CHAR.findall(cleaned)) if not cleaned.isascii() else 0
    return float(len(cleaned) + 2 * cjk)


def _tag_kind(tag_name: str) -> str:
    name = tag_name.lower()
    if any(word in name for word in _EXAMPLE_TAG_WORDS):
        return "example"
    if any(word in name for word in _BEHAVIOUR_TAG_WORDS):
        return "behaviour"
    if any(word in name for word in _KNOWLEDGE_TAG_WORDS):
        return "knowledge"
    return ""


def _heading_kind(words: list[str]) -> str:
    behaviour = sum(1 for w in words if w in _BEHAVIOUR_HEADING_WORDS)
    knowledge = sum(1 for w in words if w in _KNOWLEDGE_HEADING_WORDS)
    if behaviour > knowledge:
        return "behaviour"
    if knowledge > behaviour:
        return "knowledge"
    return ""


def _looks_like_heading(stripped: str, cleaned_words: list[str]) -> bool:
    if stripped.startswith("#"):
        return True
    # "Rules:" or "Refund policy" on a line of its own.
    return (
        0 < len(cleaned_words) <= 5
        and len(stripped) <= 60
        and not stripped.endswith((".", "?", "!", ","))
        and not any(ch.isdigit() for ch in stripped)
        and (stripped.endswith(":") or stripped[:1].isupper())
        and ":" not in stripped[:-1]
    )


def _few_shot_lines(lines: list[str]) -> set[int]:
    """Indices of lines that form a ladder of labelled input/output demonstrations.

    A ladder is two labels alternating at least twice ("Q:"/"A:", "Review:"/"Label:").
    It is a demonstration when the answers are short, JSON, labels or left open for
    the model; long declarative answers make it an FAQ, which is knowledge.
    """
    labelled: list[tuple[int, str, str]] = []
    for index, line in enumerate(lines):
        head = line[:40]
        if ":" not in head and "：" not in head:
            continue
        match = _LABEL_PREFIX.match(line)
        if match and len(match.group(1)) <= 24:
            labelled.append((index, match.group(1).strip().lower(), match.group(2).strip()))
    if len(labelled) < 3:
        return set()
    pair_counts: dict[tuple[str, str], int] = {}
    for (_, first, _), (_, second, _) in zip(labelled, labelled[1:]):
        if first != second:
            pair_counts[(first, second)] = pair_counts.get((first, second), 0) + 1
    result: set[int] = set()
    for (input_label, output_label), count in pair_counts.items():
        if count < 2:
            continue
        input_known = input_label.split()[0] in _FEW_SHOT_INPUT_LABELS
        output_known = output_label.split()[0] in _FEW_SHOT_OUTPUT_LABELS
        if not (input_known or output_known):
            continue
        answers = [value for _, label, value in labelled if label == output_label]
        demonstration_like = sum(
            1
            for value in answers
            if not value
            or value[:1] in "{[<\"'"
            or len(value.split()) <= 3
            or (value.isupper() and len(value) <= 40)
        )
        if demonstration_like * 2 < len(answers):
            continue
        members = [index for index, label, _ in labelled if label in (input_label, output_label)]
        first_member, last_member = min(members), max(members)
        result.update(range(first_member, last_member + 1))
    return result


def _analyse_structure(lines: list[str], words_per_line: list[list[str]]) -> list[_LineContext]:
    contexts = [_LineContext() for _ in lines]
    few_shot = _few_shot_lines(lines)
    tag_stack: list[str] = []
    in_fence = False
    fence_prior = ""
    section_kind = ""
    table_kind = ""
    example_section = False
    last_content = ""
    for index, raw in enumerate(lines):
        context = contexts[index]
        stripped = raw.strip()
        fence = _FENCE.match(stripped) if stripped[:1] in ("`", "~") else None
        if fence:
            context.skip = True
            if in_fence:
                in_fence = False
                fence_prior = ""
            else:
                in_fence = True
                language = fence.group(1).lower()
                lead = last_content.lower()
                if any(cue in lead for cue in ("format", "schema", "respond", "return", "output", "example", "like this", "structure", "template", "json")):
                    fence_prior = "output template"
                elif language in ("python", "py", "js", "javascript", "ts", "typescript", "bash", "sh", "go", "rust", "java"):
                    fence_prior = "code"
            continue
        if not stripped:
            if not in_fence and example_section and section_kind != "example-heading":
                example_section = False
            table_kind = ""
            continue
        if in_fence:
            if fence_prior == "output template":
                context.behaviour_prior += 1.2
                context.behaviour_prior_reason = "output format"
        # Markdown tables: the header row says what the rows are.
        if stripped.startswith("|"):
            cells = [c.strip().lower() for c in stripped.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                context.skip = True
                continue
            if not table_kind:
                header_words = {w for c in cells for w in _WORD.findall(c)}
                table_kind = "behaviour" if header_words & _OUTPUT_TABLE_HEADERS else "knowledge"
                context.heading = True
            elif table_kind == "behaviour":
                context.behaviour_prior += 1.0
                context.behaviour_prior_reason = "output field"
            else:
                context.knowledge_prior += 0.5
                context.knowledge_prior_reason = "table of entities"
        else:
            table_kind = ""
        # XML-ish tags: opening tags push a context, closing tags pop it.
        tags = list(_XML_TAG.finditer(stripped)) if "<" in stripped else []
        line_tag_kinds: list[str] = []
        for tag in tags:
            closing, name, self_closing = tag.group(1), tag.group(2), tag.group(3)
            if self_closing:
                continue
            kind = _tag_kind(name)
            if closing:
                if tag_stack:
                    tag_stack.pop()
            else:
                tag_stack.append(kind)
                line_tag_kinds.append(kind)
        if tags and not _XML_TAG.sub("", stripped).strip():
            context.skip = True
            last_content = stripped
            continue
        enclosing = [kind for kind in tag_stack if kind] + line_tag_kinds
        if enclosing:
            innermost = enclosing[-1]
            if innermost == "example":
                context.few_shot = True
            elif innermost == "behaviour":
                context.behaviour_prior += 0.6
                context.behaviour_prior_reason = context.behaviour_prior_reason or "instruction block"
            elif innermost == "knowledge":
                context.knowledge_prior += 0.4
                context.knowledge_prior_reason = context.knowledge_prior_reason or "reference block"
        if index in few_shot:
            context.few_shot = True
        words = words_per_line[index]
        if not stripped.startswith("|") and not in_fence and _looks_like_heading(stripped, words):
            context.heading = True
            kind = _heading_kind(words)
            section_kind = kind
            example_section = any(w.startswith(("example", "exemple", "beispiel", "ejemplo", "exemplo")) for w in words)
            last_content = stripped
            continue
        if example_section and not context.few_shot:
            context.behaviour_prior += 1.0
            context.behaviour_prior_reason = "few-shot example"
        elif section_kind == "behaviour":
            context.behaviour_prior += 0.4
            context.behaviour_prior_reason = context.behaviour_prior_reason or "instruction section"
        elif section_kind == "knowledge":
            context.knowledge_prior += 0.4
            context.knowledge_prior_reason = context.knowledge_prior_reason or "reference section"
        last_content = stripped
    return contexts


def _words(lower: str) -> list[str]:
    return [w.rstrip("'") for w in _WORD.findall(lower)] if "'" in lower else _WORD.findall(lower)


def _score_line(cleaned: str, lower: str, words: list[str], facts: list[str], context: _LineContext) -> _LineScore:
    score = _LineScore()
    if not words:
        return score
    word_set = set(words)
    has_digit = _DIGIT.search(cleaned) is not None
    has_second_person = not word_set.isdisjoint(_SECOND_PERSON)

    # --- behaviour
    opener_index = 0
    while opener_index < len(words) - 1 and words[opener_index] in ("please", "then", "also", "and", "bitte", "also", "puis", "luego", "depois", "finally", "first", "next"):
        opener_index += 1
    opener = words[opener_index]
    imperative_start = False
    if _PERSONA_OPENERS.match(lower):
        score.add_behaviour(2.0, "role/persona")
        imperative_start = True
    elif opener in _DECISION_OPENERS:
        after_comma = lower.split(",", 1)[1] if "," in lower else ""
        consequence = _WORD.findall(after_comma)[:3]
        if any(w in _IMPERATIVE_OPENERS or w in _OUTPUT_VERBS for w in consequence) or "→" in lower or "->" in lower or " then " in lower:
            score.add_behaviour(1.6, "decision rule")
            imperative_start = True
    elif opener in _IMPERATIVE_OPENERS or opener in _NEGATION_OPENERS:
        next_word = words[opener_index + 1] if opener_index + 1 < len(words) else ""
        # "Rate limit: 600" is a label; "Use of the lounge is free" a noun phrase;
        # "No refunds after 30 days" a statement, while "No menciones" is an order.
        is_label = ":" in lower[:40] and len(_WORD.findall(lower.split(":", 1)[0])) <= 3
        is_noun_phrase = next_word in ("is", "are", "was", "of", "costs", "ist")
        is_negated_order = opener not in _NEGATION_OPENERS or next_word in _IMPERATIVE_OPENERS
        if not is_label and not is_noun_phrase and is_negated_order:
            score.add_behaviour(1.6, "always/never rule" if opener in _RULE_WORDS else "imperative instruction")
            imperative_start = True
    rule_hits = len(word_set & _RULE_WORDS)
    if rule_hits:
        score.add_behaviour(min(1.2, 0.6 * rule_hits) if imperative_start else 0.5 * min(rule_hits, 2), "always/never rule")
    if "do not" in lower or "don't" in lower or "under no circumstances" in lower:
        score.add_behaviour(0.8, "always/never rule")
    if has_second_person:
        score.add_behaviour(0.4, "instruction to the model")
    format_hits = len(word_set & _FORMAT_WORDS)
    if format_hits:
        score.add_behaviour(min(1.5, 0.5 * format_hits), "output format")
    if (has_digit and _FORMAT_COUNT_DIGITS.search(cleaned)) or (
        not word_set.isdisjoint(_NUMBER_WORDS) and _FORMAT_COUNT_WORDS.search(lower)
    ):
        score.add_behaviour(1.2, "output format")
    if ":" in cleaned:
        if _SCHEMA_KEY.search(cleaned):
            score.add_behaviour(2.0, "output schema")
        if _TYPE_ANNOTATION.search(cleaned):
            score.add_behaviour(1.6, "output schema")
    if not cleaned.isascii():
        if any(marker in cleaned for marker in _CJK_BEHAVIOUR):
            score.add_behaviour(1.8, "imperative instruction")
    if context.behaviour_prior:
        score.add_behaviour(context.behaviour_prior, context.behaviour_prior_reason)

    # --- knowledge
    fact_total = 0.0
    for kind in facts:
        fact_total += _KNOWLEDGE_FACT_WEIGHTS[kind]
        score.knowledge_reasons[kind] = score.knowledge_reasons.get(kind, 0.0) + _KNOWLEDGE_FACT_WEIGHTS[kind]
    if has_digit:
        spec_hits = len(_SPEC_VALUE.findall(cleaned))
        if spec_hits:
            fact_total += 0.8 * spec_hits
            score.knowledge_reasons["spec value"] = score.knowledge_reasons.get("spec value", 0.0) + 0.8 * spec_hits
        if "%" in cleaned and "policy" not in facts:
            fact_total += 0.5
            score.knowledge_reasons["percentage"] = score.knowledge_reasons.get("percentage", 0.0) + 0.5
        if _CLOCK.search(cleaned):
            fact_total += 0.7
            score.knowledge_reasons["opening hours"] = score.knowledge_reasons.get("opening hours", 0.0) + 0.7
        if ":" in cleaned and _KEY_NUMBER.search(cleaned) and not _SCHEMA_KEY.search(cleaned):
            fact_total += 0.8
            score.knowledge_reasons["catalog entry"] = score.knowledge_reasons.get("catalog entry", 0.0) + 0.8
    score.knowledge += min(fact_total, 3.5)
    if not imperative_start:
        if len(words) >= 4 and not word_set.isdisjoint(_DECLARATIVE_VERBS):
            score.add_knowledge(0.4 if has_second_person else 0.7, "declarative statement")
        elif not cleaned.isascii() and cleaned.rstrip().endswith(_CJK_KNOWLEDGE_ENDINGS) and not any(m in cleaned for m in _CJK_BEHAVIOUR):
            score.add_knowledge(0.7, "declarative statement")
        elif len(words) >= 3 and ":" in cleaned and has_digit and not score.behaviour:
            score.add_knowledge(0.5, "definition")
    if context.knowledge_prior:
        score.add_knowledge(context.knowledge_prior, context.knowledge_prior_reason)

    if context.few_shot:
        # A demonstration teaches the answer's shape; facts inside it are props.
        score.knowledge *= 0.2
        score.add_behaviour(2.5, "few-shot example")
    if context.heading:
        score.knowledge *= 0.5
        score.behaviour *= 0.5
    return score


# Lines recur: prompts assembled from shared constants, boilerplate across prompt
# files, and above all the same prompt re-read after each keystroke in the editor,
# where only the edited line is new.  A line's reading and its score depend only on
# the arguments below, so both are memoised, bounded: cleared when full, and lines over
# _MEMO_LINE_CHARS are not kept (4,096 lines of at most 1,000 characters with their
# words: under ~30 MB whatever the input; a dataset's answers, all distinct, churn it).
_LINE_MEMO_LIMIT = 4_096
_MEMO_LINE_CHARS = 1_000
_read_memo: dict[str, tuple[str, str, list[str]]] = {}
_score_memo: dict[tuple, "_LineScore"] = {}


def _read_line(line: str) -> tuple[str, str, list[str]]:
    """(cleaned, lowered, words) of a raw line."""
    hit = _read_memo.get(line)
    if hit is None:
        cleaned = _clean_line(line) if line and not line.isspace() else ""
        lower = cleaned.lower().replace("’", "'")
        hit = (cleaned, lower, _words(lower) if lower else [])
        if len(line) <= _MEMO_LINE_CHARS:
            if len(_read_memo) >= _LINE_MEMO_LIMIT:
                _read_memo.clear()
            _read_memo[line] = hit
    return hit


def _scored_line(cleaned: str, lower: str, words: list[str], facts: list[str], context: _LineContext) -> "_LineScore":
    """``_score_line``, memoised; the result is shared, so callers only read it."""
    key = (
        cleaned, tuple(facts), context.knowledge_prior, context.knowledge_prior_reason, context.behaviour_prior,
        context.behaviour_prior_reason, context.few_shot, context.heading,
    )
    hit = _score_memo.get(key)
    if hit is None:
        hit = _score_line(cleaned, lower, words, facts, context)
        if len(cleaned) <= _MEMO_LINE_CHARS:
            if len(_score_memo) >= _LINE_MEMO_LIMIT:
                _score_memo.clear()
            _score_memo[key] = hit
    return hit


def _clean_line(raw: str) -> str:
    line = _LIST_MARKER.sub("", raw.strip(), count=1)
    if "<" in line:
        line = _XML_TAG.sub(" ", line)
    if "*" in line or "_" in line or "`" in line:
        line = _MARKDOWN_EMPHASIS.sub("", line)
    return line.strip()


def _top_reason(reasons: dict[str, float], fallback: str) -> str:
    if not reasons:
        return fallback
    return max(reasons.items(), key=lambda item: (item[1], item[0]))[0]


def _trim(text: str) -> str:
    text = text.strip()
    if len(text) <= MAX_EVIDENCE_TEXT:
        return text
    return text[: MAX_EVIDENCE_TEXT - 1].rstrip() + "…"


def classify_knowledge_vs_behaviour(text: str) -> Classification:
    """Share of knowledge and of behaviour in ``text``, with the deciding lines.

    Each line is scored on weighted features (facts, declaratives, imperatives,
    rules, format and schema cues, few-shot structure), weighed by its length and
    by how much evidence it carries, and summed.  Template holes are blanked first.
    The verdict is "knowledge" at a knowledge share of 0.6 or more, "behaviour" at
    0.4 or less, "mixed" between, and "empty" when no line carried any signal.
    """
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    blanked, _ = _blank_template_holes(normalised)
    original_lines = normalised.split("\n")
    lines = blanked.split("\n")
    line_starts = [0]
    for line in lines[:-1]:
        line_starts.append(line_starts[-1] + len(line) + 1)
    facts_per_line: list[list[str]] = [[] for _ in lines]
    for start, _, kind in _raw_volatile_facts(blanked):
        facts_per_line[bisect_right(line_starts, start) - 1].append(kind)

    read = [_read_line(line) for line in lines]
    cleaned_lines = [r[0] for r in read]
    lowered_lines = [r[1] for r in read]
    words_per_line = [r[2] for r in read]
    contexts = _analyse_structure(lines, words_per_line)
    knowledge_total = 0.0
    behaviour_total = 0.0
    scored: list[tuple[float, int, str, str]] = []  # strength, line, label, reason
    for index, cleaned in enumerate(cleaned_lines):
        context = contexts[index]
        if context.skip or not cleaned:
            continue
        score = _scored_line(cleaned, lowered_lines[index], words_per_line[index], facts_per_line[index], context)
        evidence_total = score.knowledge + score.behaviour
        if evidence_total <= 0:
            continue
        weight = _line_weight(cleaned) * min(1.0, evidence_total / 1.5)
        knowledge_part = score.knowledge / evidence_total
        knowledge_total += weight * knowledge_part
        behaviour_total += weight * (1.0 - knowledge_part)
        if score.knowledge == score.behaviour:
            continue
        label = "knowledge" if score.knowledge > score.behaviour else "behaviour"
        dominance = abs(score.knowledge - score.behaviour) / evidence_total
        strength = dominance * min(evidence_total, 4.0) * (_line_weight(cleaned) ** 0.5)
        reason = (
            _top_reason(score.knowledge_reasons, "declarative statement")
            if label == "knowledge"
            else _top_reason(score.behaviour_reasons, "instruction")
        )
        scored.append((strength, index, label, reason))

    grand_total = knowledge_total + behaviour_total
    if grand_total <= 0:
        return Classification(knowledge=0.0, behaviour=0.0, verdict="empty", evidence=[])
    knowledge_share = round(knowledge_total / grand_total, 4)
    behaviour_share = round(1.0 - knowledge_share, 4)
    if knowledge_share >= KNOWLEDGE_SHARE_FOR_VERDICT:
        verdict = "knowledge"
    elif knowledge_share <= BEHAVIOUR_SHARE_FOR_VERDICT:
        verdict = "behaviour"
    else:
        verdict = "mixed"
    return Classification(
        knowledge=knowledge_share,
        behaviour=behaviour_share,
        verdict=verdict,
        evidence=_select_evidence(scored, original_lines, verdict, knowledge_share),
    )


def _select_evidence(
    scored: list[tuple[float, int, str, str]],
    original_lines: list[str],
    verdict: str,
    knowledge_share: float,
) -> list[LineEvidence]:
    """The strongest lines, with the minority label represented when it matters."""
    by_label = {
        label: sorted((s for s in scored if s[2] == label), key=lambda s: (-s[0], s[1]))
        for label in ("knowledge", "behaviour")
    }
    majority = "knowledge" if knowledge_share >= 0.5 else "behaviour"
    minority = "behaviour" if majority == "knowledge" else "knowledge"
    minority_share = min(knowledge_share, 1.0 - knowledge_share)
    if verdict == "mixed":
        minority_slots = MAX_EVIDENCE_LINES // 2
    elif minority_share >= 0.1:
        minority_slots = 2
    else:
        minority_slots = 0
    chosen = by_label[minority][:minority_slots]
    chosen += by_label[majority][: MAX_EVIDENCE_LINES - len(chosen)]
    if len(chosen) < MAX_EVIDENCE_LINES:
        chosen += by_label[minority][minority_slots : minority_slots + MAX_EVIDENCE_LINES - len(chosen)]
    chosen.sort(key=lambda s: s[1])
    return [
        LineEvidence(line=index, text=_trim(original_lines[index]), label=label, reason=reason)  # type: ignore[arg-type]
        for _, index, label, reason in chosen
    ]
