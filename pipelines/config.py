"""Typed, frozen build configuration, validated once at the edge.

A TOML file maps 1:1 onto these dataclasses (one table per stage); unknown keys are errors.
Every stage receives only its own frozen section, so its fingerprint changes only when
something it reads changes.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.config_types import checked
from pipelines.errors import ConfigError
from pipelines.langid.languages import LANGUAGES
from pipelines.vocab.paths import resolve_config_paths


@dataclass(frozen=True)
class CatalogConfig:
    """How the input's columns map onto the catalog contract (schemas/v1/catalog_product.json)."""

    id_column: str = "product_id"
    category_column: str = "category"
    title_column: str = "title"
    description_column: str = "description"
    language_column: str = "language"
    family_column: str = "family_id"
    images_column: str = "images"
    image_bytes_column: str = "image_bytes"
    attributes_column: str = "attributes"
    # Extra flat columns read as attributes: {column name: attribute name}.
    attribute_columns: dict[str, str] = field(default_factory=dict)
    images_dir: str = ""  # relative image paths resolve here (default: the catalog's folder)
    default_language: str = "en"
    # Untrusted catalogs (README): local images are read only inside images_dir and these folders
    # (relative ones resolve from images_dir); URLs never reach loopback/private/link-local/reserved
    # addresses unless allowed, and each image URL gets one total deadline and a redirect limit.
    extra_image_roots: tuple[str, ...] = ()
    allow_private_image_urls: bool = False
    image_url_deadline_s: float = 30.0
    # Every image of the catalog loaded within this (0 = no limit); refs not loaded by then are image_unavailable
    # rejects naming it. Each distinct ref is loaded once, 16 at a time (a row's URLs in parallel).
    ingest_deadline_s: float = 3600.0
    image_url_max_redirects: int = 3
    max_image_bytes: int = 64 * 1024 * 1024  # per image file, URL body or inline image
    # A row listing more images than this is a reject before any is loaded (a million refs to one
    # file, or to slow URLs, would otherwise cost a million reads or fetches).
    max_images_per_row: int = 32


@dataclass(frozen=True)
class IngestConfig:
    max_pixels: int = 40_000_000  # header-checked before decoding: decompression bombs never decode
    max_side: int = 512  # normalised images keep at most this many pixels on their longest side
    jpeg_quality: int = 90
    max_title_chars: int = 512
    max_description_chars: int = 4096
    max_attribute_chars: int = 512  # an attribute name or value longer than this rejects the row (field_too_long)


@dataclass(frozen=True)
class MineConfig:
    # A shipped version ("v1") or your own vocabulary: a JSON file or a folder (vocabulary.json, lexicon/,
    # templates/), relative to the config file (pipelines/vocab/paths.py; README "Your own categories and attributes").
    vocabulary: str = "v2"  # fashion + MERIT's product types (#21); v1 kept for pinned configs
    min_score: float = 88.0  # rapidfuzz ratio needed to map a raw value onto the vocabulary
    mine_text: bool = True
    # Open values (brand): spellings whose keys reach this rapidfuzz ratio are one value (stages/values.py).
    alias_threshold: float = 92.0
    # A title brand needs a structured field, a pin, or this many products' titles starting with it.
    brand_min_titles: int = 3
    # Pinned aliases, {attribute: {raw: canonical}}; they win over clustering, e.g. brand = {"Levis" = "Levi's"}.
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ComposeConfig:
    queries_per_product: float = 1.0  # attempts = round(n_products * this)
    max_queries: int = 0  # 0 = no cap
    condition_counts: tuple[int, ...] = (2, 3, 4)
    max_positive_share: float = 0.05  # MERIT keeps a query only when positives are < 5% of the catalog
    max_positives: int = 20
    strategy_weights: dict[str, float] = field(
        default_factory=lambda: {"random": 0.4, "key_pool": 0.4, "variant": 0.2}
    )
    # Relative weight of each attribute key when drawing conditions (others weigh 1.0): colour is
    # down-weighted so queries are not all colour, non-visual keys so most conditions need the image.
    key_weights: dict[str, float] = field(
        default_factory=lambda: {"color": 0.5, "season": 0.15, "occasion": 0.3, "gender": 0.5, "brand": 0.5, "type": 0.8}
    )
    force_non_color: float = 0.2  # MERIT forces a non-colour key this often
    min_image_conditions: int = 1
    max_image_conditions: int = 3
    tries_per_query: int = 8
    # Labels (issue #10): a product unknown on a condition is "unverified", never a positive or a
    # negative. Above this share of unverified among (positives + unverified) the positive set is
    # more guess than fact, so the plan is dropped (reason too_many_unverified).
    max_unverified_share: float = 0.5
    # Attributes the vocabulary marks `"condition": "opt_in"` (season) become conditions only when listed.
    opt_in_conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderConfig:
    languages: tuple[str, ...] = LANGUAGES
    templates: str = "v4"  # prompts/templates/v4 + prompts/lexicon/v4: #23 phrasing (v3, v2 kept for pinned configs; v1 retired)
    # Folders of <lang>.json additions to the shipped lexicon / templates (your categories' nouns, values);
    # "" = lexicon/ and templates/ beside a vocabulary given as a path, when they exist.
    lexicon_dir: str = ""
    templates_dir: str = ""
    # A language whose lexicon lacks a word the vocabulary needs: "skip" builds the other languages and
    # says so before any stage runs; "error" stops with the missing piece. English must be complete.
    incomplete_lexicons: str = "skip"


@dataclass(frozen=True)
class NegativesConfig:
    per_query: int = 10


@dataclass(frozen=True)
class LLMConfig:
    """LLM stages on an OpenAI-compatible server (vLLM serving Qwen). Off when no URL is known.

    url/model fall back to MERITGEN_LLM_URL / MERITGEN_LLM_MODEL, the key to MERITGEN_LLM_API_KEY
    (read once at the edge, `pipelines.runners.cli_common.llm_endpoint`, and passed down as an `LLMEndpoint`).
    Concurrency, timeouts and the URL are not part of any fingerprint or cache key.
    """

    url: str = ""
    model: str = ""  # "" = MERITGEN_LLM_MODEL or Qwen/Qwen2.5-7B-Instruct
    vlm_url: str = ""  # "" = url
    vlm_model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    max_in_flight: int = 256
    timeout_s: float = 120.0  # total deadline per attempt: connect, send and the whole answer
    max_retries: int = 5
    structured_output: str = "json_schema"  # json_schema | guided_json | structured_outputs | none
    cache: str = ""  # request cache file; "" = <out>/llm_cache.sqlite, shared by every run in <out>
    mine: bool = False  # VLM attribute mining from images + title
    rewrite: bool = True  # fluent English rewrite of template queries
    translate: bool = True  # LLM translation into ms/id/vi/th (template text stays as fallback)
    judge: bool = False  # MERIT's VLM compliance judge
    personalize: bool = False  # MERIT's personalisation: a VLM adds a condition that singles out one positive
    # Who answers: "server" (url/vlm_url, any runner) or "beam_vllm" (Beam only: RunInference with
    # Beam's vLLM handler, one vLLM server per GPU worker serving model/vlm_model; same prompts and cache).
    backend: str = "server"
    max_answer_bytes: int = 262144  # an answer body over this is not read further: a malformed answer
    # A whole LLM step's budget (both passes, every retry); requests unanswered then are `llm_deadline`
    # rejects that the next build asks again (answered ones come from the cache). 0 = no deadline.
    step_deadline_s: float = 21600.0
    # A build whose LLM steps got no answer for more than this share of their rows exits non-zero.
    max_failed_share: float = 0.05


@dataclass(frozen=True)
class RetrievalConfig:
    """Retrieval stages: MIRe passages, caption-substitutability filter, retriever negatives, difficulty."""

    enabled: bool = True
    # "" = lexical (BM25) only. Production: a multilingual model, e.g.
    # "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2" (installed locally, never fetched).
    dense_model: str = ""
    bm25_backend: str = "numpy"  # "numba" (pip install meritgen[scale]): ~6x faster BM25 top-k at scale
    passages_k: int = 4
    passage_corpus: str = ""  # Parquet with (passage_id, text); "" = the product corpus
    filter_retriever: str = "bm25"  # the text-only retriever of the caption filter: bm25 | dense
    filter_top_k: int = 1  # a positive ranked within this from captions alone -> query dropped
    negatives_per_query: int = 5  # retriever negatives added on top of negatives.per_query overlap ones
    negatives_depth: int = 20  # candidates examined per retriever; 5 are kept by default
    max_score_ratio: float = 0.95  # NeMo Curator's false-negative guard
    difficulty_split: str = "test"
    # A query whose positive the text alone ranks within filter_top_k with its images removed
    # ("image-blind") is dropped; true keeps it, flagged in caption_checks.image_blind.
    keep_image_blind: bool = False
    # Passages, the caption filter and retriever negatives search each query among its own
    # category's products only (positives are always of that category; README "Category-local
    # retrieval"); false searches the whole catalog. The difficulty report always searches whole.
    category_local: bool = True


@dataclass(frozen=True)
class SplitConfig:
    test_share: float = 0.1
    held_out_categories: tuple[str, ...] = ()
    held_out_languages: tuple[str, ...] = ()
    # A query component (queries linked by shared products) holding more than this share of all
    # base queries is split by product, dropping the queries that straddle (see stages/split.py).
    max_component_share: float = 0.05


@dataclass(frozen=True)
class ExportConfig:
    shard_rows: int = 5000
    row_group_rows: int = 1000
    merit_layout: bool = True
    merit_country: str = ""  # MERIT's `country` for every product (e.g. "MY"); "" leaves it null
    pretty_name: str = "meritgen dataset"
    license: str = "other"  # an SPDX-style id for the card header; "other" needs license_name
    license_name: str = "unverified-source-licence"
    # "" = the card states the catalog it was built from and that its licence was not recorded
    # (the bundled demo catalog gets its own note); set it to your catalog's source and terms.
    source_note: str = ""


@dataclass(frozen=True)
class AuditConfig:
    """`meritgen audit`, run by every build as its last step (pipelines/audit/)."""

    fail_build: bool = True  # a failed audit makes `meritgen build` exit non-zero (the export is kept)
    # share of test conditions that must have a minimal pair in their own pool (audit/testability.py)
    min_testable_share: float = 0.95


@dataclass(frozen=True)
class BuildConfig:
    seed: int = 13
    workers: int = 0  # processes for compose/render/negatives (0 = all cores, `worker_count`); never changes the output
    # Rows per batch of a streamed step (local runner: the query table is read and written a batch at
    # a time, so memory is bounded by this, not by the number of queries); never changes the output.
    batch_rows: int = 100_000
    # Products above which the build runs nothing beside itself that holds catalog-sized data: retriever
    # negatives run their batches in the build process, not on `workers` processes (each loads its own
    # search index and product facts, 1.7-1.9 GB each at a million products, where two made the build's
    # peak: benchmarks/RESULTS.md), and the card's facts are computed after the audit, not beside it
    # (`card/facts_ahead.py`). 0: no bound. Never changes the output; raise it on a machine with memory to spare.
    pool_max_products: int = 400_000
    progress: bool = True  # progress bars on stderr when it is a terminal (off: --no-progress); never changes the output
    catalog: CatalogConfig = CatalogConfig()
    ingest: IngestConfig = IngestConfig()
    mine: MineConfig = MineConfig()
    compose: ComposeConfig = ComposeConfig()
    render: RenderConfig = RenderConfig()
    negatives: NegativesConfig = NegativesConfig()
    llm: LLMConfig = LLMConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    split: SplitConfig = SplitConfig()
    export: ExportConfig = ExportConfig()
    audit: AuditConfig = AuditConfig()

    def __post_init__(self) -> None:
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


LLM_BACKENDS = ("server", "beam_vllm")


def require_server_backend(cfg: BuildConfig, runner: str) -> None:
    """The `beam_vllm` backend needs Beam workers to serve the model: any other runner refuses it."""
    if cfg.llm.backend != "server":
        raise ConfigError(f"llm.backend = {cfg.llm.backend!r} runs only on Beam (`meritgen beam run`); "
                          f"the {runner} runner needs llm.backend = \"server\" with llm.url")


def _validate(cfg: BuildConfig) -> None:
    problems = []
    if not set(cfg.compose.condition_counts) <= {2, 3, 4} or not cfg.compose.condition_counts:
        problems.append("compose.condition_counts must be a non-empty subset of 2, 3, 4")
    if not 0 < cfg.compose.max_positive_share <= 1:
        problems.append("compose.max_positive_share must be in (0, 1]")
    if not 0 <= cfg.compose.force_non_color <= 1:
        problems.append("compose.force_non_color must be in [0, 1]")
    if not 0 <= cfg.compose.max_unverified_share <= 1:
        problems.append("compose.max_unverified_share must be in [0, 1]")
    if not 0 < cfg.mine.alias_threshold <= 100 or cfg.mine.brand_min_titles < 1:
        problems.append("mine.alias_threshold must be in (0, 100] and mine.brand_min_titles >= 1")
    unknown = set(cfg.compose.strategy_weights) - {"random", "key_pool", "variant"}
    if unknown:
        problems.append(f"compose.strategy_weights has unknown strategies {sorted(unknown)}")
    bad_langs = set(cfg.render.languages) - set(LANGUAGES)
    if bad_langs or "en" not in cfg.render.languages:
        problems.append(f"render.languages must include 'en' and only {LANGUAGES}")
    if not 0 <= cfg.split.test_share < 1:
        problems.append("split.test_share must be in [0, 1)")
    if not 0 < cfg.split.max_component_share <= 1:
        problems.append("split.max_component_share must be in (0, 1]")
    if cfg.batch_rows < 1:
        problems.append("batch_rows must be >= 1")
    if cfg.pool_max_products < 0:
        problems.append("pool_max_products must be >= 0 (0: no bound)")
    if not 0 <= cfg.audit.min_testable_share <= 1:
        problems.append("audit.min_testable_share must be in [0, 1]")
    if cfg.export.shard_rows < 1 or cfg.export.row_group_rows < 1:
        problems.append("export.shard_rows and export.row_group_rows must be >= 1")
    if cfg.retrieval.filter_retriever not in ("bm25", "dense") or (
            cfg.retrieval.filter_retriever == "dense" and not cfg.retrieval.dense_model):
        problems.append("retrieval.filter_retriever must be bm25, or dense with retrieval.dense_model set")
    if cfg.llm.max_answer_bytes < 1 or cfg.llm.step_deadline_s < 0 or not 0 <= cfg.llm.max_failed_share <= 1:
        problems.append("llm.max_answer_bytes must be >= 1, llm.step_deadline_s >= 0 and llm.max_failed_share in [0, 1]")
    if cfg.llm.backend not in LLM_BACKENDS:
        problems.append(f"llm.backend must be one of {LLM_BACKENDS}, not {cfg.llm.backend!r}")
    if cfg.catalog.image_url_deadline_s <= 0 or cfg.catalog.image_url_max_redirects < 0:
        problems.append("catalog.image_url_deadline_s must be > 0 and catalog.image_url_max_redirects >= 0")
    if cfg.render.incomplete_lexicons not in ("skip", "error"):
        problems.append("render.incomplete_lexicons must be \"skip\" or \"error\"")
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))


def _build(cls, data: dict[str, Any], where: str):
    known = {f.name: f for f in dataclasses.fields(cls)}
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table (section), got {data!r}")
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)} in {f'section {where}' if where else 'the top level'}; "
                          f"known: {sorted(known)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        default = getattr(cls(), name) if cls is not BuildConfig else getattr(BuildConfig, name, None)
        key = f"{where}.{name}".strip(".")
        if dataclasses.is_dataclass(default):
            value = _build(type(default), value, key)
        else:
            value = checked(key, value, hints[name])
        values[name] = value
    return cls(**values)


def config_from_dict(data: dict[str, Any]) -> BuildConfig:
    """Rebuild a config from `BuildConfig.to_dict()` output (e.g. a run's config.json)."""
    try:
        return _build(BuildConfig, data, "")
    except TypeError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> BuildConfig:
    """Read a TOML config (or defaults) and apply dotted-key overrides like {"compose.max_queries": 50}."""
    data: dict[str, Any] = {}
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        resolve_config_paths(data, Path(path).resolve().parent)  # a config's paths are relative to it
    for dotted, value in (overrides or {}).items():
        section = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            section = section.setdefault(part, {})
        section[leaf] = value
    resolve_config_paths(data, Path.cwd())  # --set paths are relative to where you run
    return config_from_dict(data)


def worker_count(requested: int) -> int:
    """The processes (or threads) `workers = requested` means: itself, or every core for 0."""
    return requested if requested > 0 else (os.cpu_count() or 1)
