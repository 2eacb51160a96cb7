"""jaga's mitmproxy addon: turns flows into captures for the off-path pipeline.

The hooks are thin. They decide what to leave alone (pass-through hosts, media and large bodies,
which are streamed and never read), copy the few things the pipeline needs off the flow, and
return. Nothing here scores, parses JSON, or touches SQLite. Every hook body is wrapped: an
exception inside jaga is logged and the flow goes on untouched (fail open). Options are declared
in `load()` and validated in `configure()`; background work starts in `running()` and stops in
`done()`.

Load it with `jaga run` (which also prints the banner), or in plain mitmproxy:
`mitmdump -s agent/addon/addon.py --set jaga_data_dir=DIR`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from mitmproxy import ctx, exceptions, http, tls
from mitmproxy.proxy import mode_specs

from agent.addon.devices import DeviceMap
from agent.addon.engine import FAULTS, Engine, build_engine
from agent.addon.extractors import MAX_BODY, is_readable, may_be_search
from agent.addon.passthrough import PassthroughPolicy
from agent.addon.pipeline import Capture, Pipeline
from agent.config import Config, load_config

log = logging.getLogger(__name__)

LEARNED_PASSTHROUGH_FILE = "passthrough.json"
WEBSOCKET_HISTORY = 20  # messages of each WebSocket kept in memory by mitmproxy
ONBOARDING_HOST = "mitm.it"


def _client_address(conn) -> str:
    peer = conn.peername
    return str(peer[0]) if peer else "unknown"


def _wg_peer(conn) -> str | None:
    """WireGuard peers are told apart by their key file, one per phone (`jaga run`)."""
    mode = getattr(conn, "proxy_mode", None)
    if isinstance(mode, mode_specs.WireGuardMode):
        return Path(mode.data).stem if mode.data else "wireguard"
    return None


class JagaAddon:
    def __init__(self, engine: Engine | None = None, config: Config | None = None):
        # `jaga run` builds the engine itself (to show it in the banner) and hands it in; under
        # plain mitmdump the addon builds it from its options.
        self.engine = engine
        self.config = config
        self.devices = DeviceMap(config.children if config else [])
        self.passthrough = PassthroughPolicy()
        self.pipeline: Pipeline | None = None
        self.max_body = MAX_BODY
        self.read = True  # ctx.options.jaga_read, kept here: hooks read it on every flow

    def load(self, loader) -> None:
        loader.add_option("jaga_config", str, "", "jaga's configuration file (YAML, version: 1).")
        loader.add_option("jaga_data_dir", str, "",
                          "jaga's data directory: alert store, learned pass-through hosts.")
        loader.add_option("jaga_read", bool, True,
                          "Read chat and web text; off leaves all traffic alone.")
        loader.add_option("jaga_max_body", int, MAX_BODY,
                          "Bytes of any body that jaga decodes and reads (after decompression).")
        loader.add_option("jaga_passthrough", Sequence[str], [],
                          "More hosts (regular expressions) never intercepted, besides the built-in list.")
        loader.add_option("jaga_test_fault", str, "",
                          "For jaga's fault tests only: 'scorer' makes the scorer raise on every "
                          "message, to prove that traffic still passes. Never set it in real use.")

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if "jaga_test_fault" in updated and opts.jaga_test_fault not in FAULTS:
            raise exceptions.OptionsError(
                f"jaga_test_fault: {opts.jaga_test_fault!r} is not one of {', '.join(map(repr, FAULTS))}")
        if "jaga_read" in updated:
            self.read = opts.jaga_read
        if "jaga_max_body" in updated:
            if opts.jaga_max_body < 1024:
                raise exceptions.OptionsError("jaga_max_body: must be at least 1024 bytes")
            self.max_body = opts.jaga_max_body
        if updated & {"jaga_config", "jaga_data_dir", "jaga_passthrough"}:
            try:
                # A file named in the option wins; else the configuration `jaga run` handed in
                # (with its command-line overrides) is kept; else the default file, once.
                if opts.jaga_config and ("jaga_config" in updated or self.config is None):
                    self.config = load_config(opts.jaga_config)
                elif self.config is None:
                    self.config = load_config(None)
                extra = list(self.config.proxy.passthrough_hosts) + list(opts.jaga_passthrough)
                self.passthrough = PassthroughPolicy(
                    extra, self.data_dir / LEARNED_PASSTHROUGH_FILE)
            except Exception as e:
                raise exceptions.OptionsError(f"jaga: {e}") from e
            self.devices = DeviceMap(self.config.children)

    @property
    def data_dir(self) -> Path:
        if ctx.options.jaga_data_dir:
            return Path(ctx.options.jaga_data_dir).expanduser()
        return self.config.data_dir if self.config else Config().data_dir

    def running(self) -> None:
        if self.engine is None:
            self.engine = build_engine(self.config or Config(), self.data_dir,
                                       fault=ctx.options.jaga_test_fault)
            for problem in self.engine.problems:
                log.warning("jaga: %s", problem)
        self.engine.start()
        self.pipeline = Pipeline(self.devices, self.engine.feed, self.engine.record_alert,
                                 feed_many=self.engine.feed_many)
        self.pipeline.start()

    def done(self) -> None:
        if self.pipeline is not None:
            self.pipeline.stop()
            log.info("jaga: %s", self.pipeline.stats)
        if self.engine is not None:
            self.engine.stop()

    # --- TLS: leave alone what cannot or must not be read ---

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        try:
            host = data.client_hello.sni or (data.context.server.address or ("",))[0]
            device = self.devices.lookup(_client_address(data.context.client),
                                         _wg_peer(data.context.client), refresh=False)
            why = self.passthrough.reason(device.key, host)
            if why:
                data.ignore_connection = True
                log.debug("passing %s through for %s: %s", host, device.key, why)
        except Exception:
            log.exception("jaga: tls_clienthello failed; intercepting as usual")

    def tls_failed_client(self, data: tls.TlsData) -> None:
        try:
            host = data.conn.sni or (data.context.server.address or ("",))[0]
            device = self.devices.lookup(_client_address(data.context.client),
                                         _wg_peer(data.context.client), refresh=False)
            self.passthrough.record_failure(device.key, str(host), data.conn.error)
        except Exception:
            log.exception("jaga: tls_failed_client failed")

    # --- HTTP ---

    def _submit(self, flow: http.HTTPFlow, message: http.Message, direction: str) -> None:
        if self.pipeline is None or not self.read:
            return
        # Cheap checks first: most flows carry no body jaga reads and are not searches, and
        # leave here before the host or the client's address is looked at.
        content_type = message.headers.get("content-type")
        raw = message.raw_content
        readable = bool(raw) and is_readable(content_type)
        search = direction == "from_child" and bool(flow.request.query)
        if not (readable or search):
            return
        host = flow.request.pretty_host
        if host == ONBOARDING_HOST:
            return
        address, peer = _client_address(flow.client_conn), _wg_peer(flow.client_conn)
        if search and may_be_search(host, flow.request.path):
            self.pipeline.submit(Capture("search", direction, address, host, url=flow.request.url,
                                         wg_peer=peer))
        if not readable:
            return
        # Compressed bodies are cut before decompression too (extractors bound the output).
        self.pipeline.submit(Capture(
            "http", direction, address, host, content_type=content_type,
            content_encoding=message.headers.get("content-encoding"),
            body=raw[: self.max_body * 4], wg_peer=peer))  # type: ignore[index]

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        try:
            if not is_readable(flow.request.headers.get("content-type")) and \
                    flow.request.headers.get("content-length", "0") not in ("", "0"):
                flow.request.stream = True  # uploads of media: never read, never buffered
        except Exception:
            log.exception("jaga: requestheaders failed for %s", flow.request.pretty_url)

    def request(self, flow: http.HTTPFlow) -> None:
        try:
            if not flow.request.stream:
                self._submit(flow, flow.request, "from_child")
        except Exception:
            log.exception("jaga: request hook failed for %s", flow.request.pretty_url)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        try:
            if flow.response is not None and not is_readable(flow.response.headers.get("content-type")):
                flow.response.stream = True  # media and binary: streamed through, never read
        except Exception:
            log.exception("jaga: responseheaders failed for %s", flow.request.pretty_url)

    def response(self, flow: http.HTTPFlow) -> None:
        try:
            if flow.response is not None and not flow.response.stream:
                self._submit(flow, flow.response, "to_child")
        except Exception:
            log.exception("jaga: response hook failed for %s", flow.request.pretty_url)

    # --- WebSocket ---

    def websocket_message(self, flow: http.HTTPFlow) -> None:
        try:
            ws = flow.websocket
            if ws is None or not ws.messages:
                return
            message = ws.messages[-1]
            if self.pipeline is not None and self.read and message.is_text:
                self.pipeline.submit(Capture(
                    "websocket", "from_child" if message.from_client else "to_child",
                    client_address=_client_address(flow.client_conn),
                    host=flow.request.pretty_host, url=flow.request.url,
                    text=message.content[: self.max_body].decode("utf-8", "replace"),
                    wg_peer=_wg_peer(flow.client_conn)))
            if len(ws.messages) > WEBSOCKET_HISTORY:
                # Long-lived chat sockets would otherwise keep every message in memory.
                del ws.messages[: len(ws.messages) - WEBSOCKET_HISTORY]
        except Exception:
            log.exception("jaga: websocket_message hook failed for %s", flow.request.pretty_url)


addons = [JagaAddon()]
