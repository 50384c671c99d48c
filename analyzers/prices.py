"""Model prices: data with a date, never constants in code.

The bundled table is ``data/prices.json``; a project can point ``prices-file`` at its
own copy.  Lookup is by the longest known model-name prefix, after dropping provider
prefixes (``openai/``, ``anthropic.``) and date suffixes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

_PROVIDER_PREFIX = re.compile(r"^(?:[\w.-]+/)+|^(?:anthropic|openai|meta|mistral|cohere|amazon)\.", re.I)


@dataclass(frozen=True)
class ModelPrice:
    model: str  # the table row that matched
    input_per_mtok: float
    output_per_mtok: float | None
    training_per_mtok: float | None
    context_window: int | None


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    currency: str
    source: str
    lora_low: float
    lora_high: float
    lora_source: str
    models: dict[str, ModelPrice]

    def lookup(self, model: str | None) -> ModelPrice | None:
        if not model:
            return None
        name = _PROVIDER_PREFIX.sub("", model.strip().lower())
        if name.startswith("ft:"):
            name = name[3:].split(":")[0]
        best: str | None = None
        for key in self.models:
            if name == key or name.startswith(key + "-") or name.startswith(key + "@") or name.startswith(key + ":"):
                if best is None or len(key) > len(best):
                    best = key
        return self.models.get(best) if best else None

    def cost_per_1k_requests(self, tokens_per_request: int, model: str | None) -> float | None:
        price = self.lookup(model)
        if price is None:
            return None
        return tokens_per_request * 1000 * price.input_per_mtok / 1_000_000

    def lora_break_even_requests(self, tokens_per_request: int, model: str | None) -> tuple[int, int] | None:
        """Requests after which a one-off LoRA run costs less than the per-request tax."""
        per_1k = self.cost_per_1k_requests(tokens_per_request, model)
        if not per_1k:
            return None
        per_request = per_1k / 1000
        return round(self.lora_low / per_request), round(self.lora_high / per_request)


class PriceDataError(ValueError):
    pass


def _parse(data: dict, origin: str) -> PriceTable:
    try:
        models = {
            name.lower(): ModelPrice(
                model=name.lower(),
                input_per_mtok=float(row["input"]),
                output_per_mtok=float(row["output"]) if row.get("output") is not None else None,
                training_per_mtok=float(row["training"]) if row.get("training") is not None else None,
                context_window=int(row["context"]) if row.get("context") is not None else None,
            )
            for name, row in data["models"].items()
        }
        lora = data.get("lora_one_off_usd", {"low": 20, "high": 200, "source": "seed 003"})
        return PriceTable(
            as_of=str(data["as_of"]),
            currency=str(data.get("currency", "USD")),
            source=str(data.get("source", origin)),
            lora_low=float(lora["low"]),
            lora_high=float(lora["high"]),
            lora_source=str(lora.get("source", "")),
            models=models,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PriceDataError(f"{origin}: not a valid price table ({exc.__class__.__name__}: {exc})") from exc


@lru_cache(maxsize=8)
def load_prices(path: str | None = None) -> PriceTable:
    """The bundled price table, or the one at ``path``."""
    if path is None:
        text = (resources.files("ragtune.analyzers") / "data" / "prices.json").read_text("utf-8")
        origin = "bundled prices.json"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise PriceDataError(f"{path}: cannot read price table ({exc.strerror})") from exc
        origin = path
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PriceDataError(f"{origin}: invalid JSON ({exc.msg} at line {exc.lineno})") from exc
    return _parse(data, origin)


def format_money(amount: float | None, currency: str = "USD") -> str:
    if amount is None:
        return "cost unknown"
    symbol = "$" if currency == "USD" else currency + " "
    if amount >= 100 or (amount >= 1 and amount == int(amount)):
        return f"{symbol}{amount:,.0f}"
    if amount >= 0.1:
        return f"{symbol}{amount:,.2f}"
    return f"{symbol}{amount:.4f}"
