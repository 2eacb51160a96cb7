"""Notification targets and sending through Apprise.

Targets come from three places, all Apprise's own forms: `notify.urls` in jaga's configuration
(a plain URL, or a `NotifyTarget` with tags, a minimum severity and children), `--notify URL`
on the command line, and an Apprise YAML/TEXT configuration file (`notify.apprise_config`),
read by `apprise.AppriseConfig` as it is.

Routing uses Apprise tags, read the same way whichever place a target came from:

- `low`, `medium`, `high`: the target receives alerts of that severity or above;
- a child's name from `children:` (any case): only that child's alerts;
- `all`: everything (the same as no tag);
- any other tag is reported once as unknown and does not limit the target, because an alert
  that reaches nobody is worse than one that reaches a parent who did not ask for it.

Each target is sent to on its own (one `Apprise` object per target), so a target that fails
does not hide another's success, and a failure's reason can be named. A target is only ever
shown as `url(privacy=True)`; its outbox key is a hash of its full URL, never the URL itself.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import apprise

from agent.alert_text import Rendered
from agent.config import Config, NotifyTarget
from classifiers.categories import severity_rank

log = logging.getLogger(__name__)

SEVERITY_TAGS = ("low", "medium", "high")
ALL_TAG = "all"


@dataclass
class Target:
    key: str  # stable across restarts: the outbox remembers deliveries by it
    label: str  # url(privacy=True): safe to print and store
    source: str  # where it was configured, e.g. "notify.urls[1]", "--notify", "apprise.yaml"
    service: apprise.plugins.NotifyBase
    tags: frozenset[str] = frozenset()
    min_severity: str = "low"
    children: frozenset[str] = frozenset()  # lower-case names; empty: every child
    unknown_tags: tuple[str, ...] = ()

    def wants(self, severity: str, child: str | None) -> bool:
        """Whether an alert of this severity about this child is routed to this target."""
        if severity not in SEVERITY_TAGS:
            return False
        if severity_rank(severity) < severity_rank(self.min_severity):
            return False
        return not self.children or (child or "").lower() in self.children

    def __str__(self) -> str:
        return self.label


@dataclass
class Targets:
    targets: list[Target] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # clear, masked, one line each

    def __bool__(self) -> bool:
        return bool(self.targets)

    def __iter__(self):
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(t.key for t in self.targets)

    def by_key(self, key: str) -> Target | None:
        return next((t for t in self.targets if t.key == key), None)


def mask_unparsed(url: str) -> str:
    """A URL Apprise could not read, with everything that might be a secret hidden."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url.strip())
    return f"{m.group(1)}://***" if m else "***"


def target_key(service: apprise.plugins.NotifyBase) -> str:
    return hashlib.sha256(service.url(privacy=False).encode()).hexdigest()[:20]


def _route(service: apprise.plugins.NotifyBase, source: str, tags: set[str], min_severity: str,
           children: set[str], known_children: set[str]) -> Target:
    tags = {str(t).strip().lower() for t in tags if str(t).strip()}  # str or AppriseTag
    severity_tags = [t for t in tags if t in SEVERITY_TAGS]
    if severity_tags:
        lowest = min(severity_tags, key=severity_rank)
        if severity_rank(lowest) > severity_rank(min_severity):
            min_severity = lowest
    child_tags = {t for t in tags if t in known_children}
    children = {c.lower() for c in children} | child_tags
    unknown = tuple(sorted(tags - set(SEVERITY_TAGS) - known_children - {ALL_TAG}))
    return Target(target_key(service), service.url(privacy=True), source, service,
                  frozenset(tags), min_severity, frozenset(children), unknown)


def load_targets(config: Config, extra_urls: list[str] | tuple[str, ...] = (),
                 apprise_config: str | None = None) -> Targets:
    """Every target of the configuration and the command line; problems are collected, not raised.

    `apprise_config` overrides `config.notify.apprise_config` (a command-line flag). A relative
    Apprise config path is taken as given (relative to the working directory).
    """
    known_children = {c.name.lower() for c in config.children}
    out = Targets()
    entries: list[tuple[str, NotifyTarget]] = []
    for i, item in enumerate(config.notify.urls):
        target = NotifyTarget(url=item) if isinstance(item, str) else item
        entries.append((f"notify.urls[{i}]", target))
    for url in extra_urls:
        entries.append(("--notify", NotifyTarget(url=url)))
    for source, entry in entries:
        service = _instantiate_quietly(entry.url)
        if service is None:
            out.problems.append(f"{source}: {mask_unparsed(entry.url)} is not an Apprise URL that "
                                "this Apprise can use (unknown scheme or bad form); it is skipped")
            continue
        unknown_children = sorted({c.lower() for c in entry.children} - known_children)
        if unknown_children:
            out.problems.append(f"{source}: {service.url(privacy=True)}: children "
                                f"{', '.join(unknown_children)} are not in 'children:'")
        out.targets.append(_route(service, source, set(entry.tags) | set(service.tags),
                                  entry.min_severity, set(entry.children), known_children))
    path = apprise_config if apprise_config is not None else config.notify.apprise_config
    if path:
        out.targets.extend(_from_apprise_config(Path(path).expanduser(), known_children, out.problems))
    seen: set[str] = set()
    unique = []
    for t in out.targets:  # the same URL twice would notify a parent twice
        if t.key in seen:
            out.problems.append(f"{t.source}: {t.label} is configured twice; sending once")
            continue
        seen.add(t.key)
        unique.append(t)
        if t.unknown_tags:
            out.problems.append(
                f"{t.source}: {t.label}: unknown tag(s) {', '.join(t.unknown_tags)} (jaga routes on "
                f"{', '.join(SEVERITY_TAGS)}, a child's name, or {ALL_TAG}); not limiting this target")
    out.targets = unique
    return out


def _instantiate_quietly(url: str) -> apprise.plugins.NotifyBase | None:
    """Apprise's instance of `url`, or None. Apprise logs a URL it cannot parse partly unmasked,
    so its logger is muted meanwhile; jaga reports the problem itself, masked."""
    apprise_log = logging.getLogger("apprise")
    was = apprise_log.disabled
    apprise_log.disabled = True
    try:
        return apprise.Apprise.instantiate(url)
    finally:
        apprise_log.disabled = was


def _from_apprise_config(path: Path, known_children: set[str], problems: list[str]) -> list[Target]:
    source = str(path)
    if not path.is_file():
        problems.append(f"{source}: Apprise config file not found")
        return []
    ac = apprise.AppriseConfig()
    if not ac.add(str(path)):
        problems.append(f"{source}: Apprise could not read this config file")
        return []
    apprise_log = logging.getLogger("apprise")
    was, apprise_log.disabled = apprise_log.disabled, True  # see _instantiate_quietly
    try:
        services = ac.services()
    except Exception as e:  # Apprise raises on some malformed files instead of returning nothing
        problems.append(f"{source}: Apprise could not read this config file: {e}")
        return []
    finally:
        apprise_log.disabled = was
    if not services:
        problems.append(f"{source}: no usable notification URL in this Apprise config file "
                        "(malformed YAML/TEXT or unknown schemes)")
    return [_route(s, source, set(s.tags), "low", set(), known_children) for s in services]


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    error: str | None = None


def send(target: Target, message: Rendered, timeout: float = 30.0) -> SendResult:
    """Send one message to one target; ok only when Apprise reports success for it."""
    ap = apprise.Apprise()
    ap.add(target.service)
    try:
        result = ap.notify(body=message.body, title=message.title,
                           notify_type=message.notify_type, timeout=timeout,
                           body_format=apprise.NotifyFormat.TEXT)
    except Exception as e:  # a plugin bug must not kill the delivery worker
        return SendResult(False, f"{type(e).__name__}: {e}")
    if result:
        return SendResult(True)
    reasons = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    reason = "; ".join(dict.fromkeys(reasons)) or f"Apprise reported {result.status.name}"
    return SendResult(False, reason[:500])
