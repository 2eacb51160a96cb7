"""jaga's configuration: one YAML file, `version: 1`, validated strictly.

Every setting has a default, so no file is needed. `load_config(path)` reads the file with
`yaml.safe_load`'s node composer, so that every error names its line; unknown keys and wrong
types are errors, and all errors of a file are reported together in one `ConfigError`.
The schema is the dataclasses below: their fields, types and defaults are the documentation of
each setting (README "Configuration" and examples/jaga.yaml say the same in prose).
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from agent.errors import UsageError

DEFAULT_CONFIG_ENV = "JAGA_CONFIG"


def default_config_path() -> Path:
    """$JAGA_CONFIG, else the platform's config directory (~/.config/jaga/jaga.yaml on Linux)."""
    env = os.environ.get(DEFAULT_CONFIG_ENV)
    if env:
        return Path(env)
    import platformdirs

    return platformdirs.user_config_path("jaga") / "jaga.yaml"


def default_data_dir() -> Path:
    """$JAGA_DATA_DIR, else the platform's data directory (~/.local/share/jaga on Linux)."""
    env = os.environ.get("JAGA_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return platformdirs.user_data_path("jaga")


@dataclass
class Child:
    name: str
    age: int | None = None
    # How early alerts come: "high" for young children (alerts sooner), "low" for older teens.
    # Unset: derived from age (under 13 high, 13-15 normal, 16+ low), else normal.
    sensitivity: Literal["high", "normal", "low"] | None = None
    # Client IP addresses, MAC addresses ("aa:bb:cc:dd:ee:ff") or WireGuard peer names ("wg:NAME").
    devices: list[str] = field(default_factory=list)


@dataclass
class NotifyTarget:
    url: str
    tags: list[str] = field(default_factory=list)
    min_severity: Literal["low", "medium", "high"] = "low"
    children: list[str] = field(default_factory=list)  # empty: every child


@dataclass
class NotifySection:
    # Apprise URLs, plain or with routing (tags, minimum severity, children).
    urls: list[NotifyTarget | str] = field(default_factory=list)
    # Path of an Apprise YAML/TEXT config file, used as it is.
    apprise_config: str | None = None


@dataclass
class QuietHours:
    start: str = "22:00"  # HH:MM, local time
    end: str = "06:00"
    # Alerts of this severity or above are sent at once even during quiet hours: a child being
    # picked up tonight cannot wait for the morning digest. "never" holds every alert.
    urgent: Literal["high", "medium", "low", "never"] = "high"


@dataclass
class AlertsSection:
    language: Literal["id", "en"] = "id"
    privacy: Literal["full", "snippet", "none"] = "snippet"
    realert_minutes: int = 30  # no repeat for a conversation and category within this time
    quiet_hours: QuietHours | None = None  # alerts held and sent as a digest afterwards
    daily_digest: str | None = None  # "HH:MM" for a daily summary, or unset


@dataclass
class DetectionSection:
    builtin_rules: bool = True
    rule_packs: list[str] = field(default_factory=list)  # extra pack files or folders
    model: str | None = None  # path of a .skops model; unset: the built-in model
    use_model: bool = True
    threshold: float = 0.5  # a message is flagged at score >= threshold
    conversation_threshold: float = 0.6  # conversation risk that raises an alert
    # With the model, score = sigmoid(model_weight * logit(P_model) + rule_weight * rules + bias).
    # Unset: the values `jaga train` tuned on cross-validated scores (models/jaga-model.json),
    # with which the chosen alert point is at threshold 0.5.
    model_weight: float | None = None
    rule_weight: float | None = None
    combine_bias: float | None = None


@dataclass
class ProxySection:
    mode: Literal["regular", "transparent", "wireguard"] = "regular"
    listen_host: str = ""  # "" listens on every interface
    listen_port: int = 8080
    passthrough_hosts: list[str] = field(default_factory=list)  # never intercepted (regexes)
    allow_public_clients: bool = False


@dataclass
class StorageSection:
    data_dir: str | None = None  # unset: default_data_dir()
    retention_days: int = 30


@dataclass
class Config:
    version: int = 1
    children: list[Child] = field(default_factory=list)
    notify: NotifySection = field(default_factory=NotifySection)
    alerts: AlertsSection = field(default_factory=AlertsSection)
    detection: DetectionSection = field(default_factory=DetectionSection)
    proxy: ProxySection = field(default_factory=ProxySection)
    storage: StorageSection = field(default_factory=StorageSection)

    @property
    def data_dir(self) -> Path:
        return (
            Path(self.storage.data_dir).expanduser()
            if self.storage.data_dir
            else default_data_dir()
        )


class ConfigError(UsageError):
    """All the problems of one configuration file, each with file:line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "; ".join(problems)
            if len(problems) <= 1
            else f"{len(problems)} problems:\n  " + "\n  ".join(problems)
        )


def load_config(path: str | Path | None) -> Config:
    """The configuration in `path`; defaults where `path` is None or the default file is absent."""
    if path is None:
        default = default_config_path()
        if not default.exists():
            return Config()
        path = default
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such configuration file"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError([f"{path}: cannot read: {e}"]) from None
    return parse_config(source, str(path))


def parse_config(source: str, filename: str = "<config>") -> Config:
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        raise ConfigError([f"{where}: not valid YAML: {getattr(e, 'problem', e)}"]) from None
    if root is None:
        return Config()
    problems: list[str] = []
    builder = _Builder(filename, problems)
    config = builder.build(Config, root, "")
    if isinstance(root, yaml.MappingNode) and not any(k.value == "version" for k, _ in root.value):
        problems.append(f"{filename}:1: missing 'version: 1'")
    elif config is not None and config.version != 1:
        problems.append(f"{filename}: unsupported version {config.version} (this jaga reads 1)")
    if problems:
        raise ConfigError(problems)
    return config


_MISSING = object()


class _Builder:
    """Turns YAML nodes into the dataclasses above, collecting every problem with its line."""

    def __init__(self, filename: str, problems: list[str]):
        self.filename = filename
        self.problems = problems

    def error(self, node: yaml.Node, where: str, message: str) -> object:
        self.problems.append(
            f"{self.filename}:{node.start_mark.line + 1}: {where or 'top level'}: {message}"
        )
        return _MISSING

    def build(self, tp: Any, node: yaml.Node, where: str) -> Any:
        origin = get_origin(tp)
        if origin in (Union, types.UnionType):
            options = get_args(tp)
            if (
                type(None) in options
                and isinstance(node, yaml.ScalarNode)
                and node.tag.endswith(":null")
            ):
                return None
            non_none = [o for o in options if o is not type(None)]
            # Try each alternative silently; report the last one's problems if none fits.
            for option in non_none:
                trial: list[str] = []
                value = _Builder(self.filename, trial).build(option, node, where)
                if not trial:
                    return value
            return self.build(non_none[-1], node, where)
        if origin is Literal:
            value = self.scalar(node, where)
            if value is _MISSING:
                return value
            if value not in get_args(tp):
                allowed = ", ".join(repr(a) for a in get_args(tp))
                return self.error(node, where, f"{value!r} is not one of {allowed}")
            return value
        if origin is list:
            if not isinstance(node, yaml.SequenceNode):
                return self.error(node, where, "expected a list")
            (item_tp,) = get_args(tp)
            items = [
                self.build(item_tp, item, f"{where}[{i}]") for i, item in enumerate(node.value)
            ]
            return [i for i in items if i is not _MISSING]
        if dataclasses.is_dataclass(tp):
            return self.build_dataclass(tp, node, where)
        value = self.scalar(node, where)
        if value is _MISSING:
            return value
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if tp is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.error(node, where, f"expected text, got {value!r} (quote it)")
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            return self.error(node, where, f"expected {_type_name(tp)}, got {value!r}")
        return value

    def scalar(self, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return self.error(node, where, "expected a single value")
        return yaml.safe_load(yaml.serialize(node))

    def build_dataclass(self, cls: Any, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.MappingNode):
            return self.error(node, where, f"expected a mapping ({cls.__name__.lower()})")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            path = f"{where}.{key}" if where else str(key)
            if key not in fields:
                known = ", ".join(fields)
                self.error(key_node, path, f"unknown key (known here: {known})")
                continue
            if key in values:
                self.error(key_node, path, "given twice")
                continue
            value = self.build(hints[key], value_node, path)
            if value is not _MISSING:
                values[key] = value
        for name, f in fields.items():
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required and name not in values:
                self.error(node, where, f"missing required key '{name}'")
                return _MISSING
        return cls(**values)


def _type_name(tp: Any) -> str:
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )
