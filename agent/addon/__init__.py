"""jaga's proxy side: the mitmproxy addon (addon.py) and the pure parts it drives.

`extractors` (payloads to chat text), `devices` (client address to child), `passthrough` (what is
never intercepted), `pipeline` (the off-path worker) and `engine` (scorer, tracker and alerts) do
not import mitmproxy; only `addon` does. Import `agent.addon.addon` explicitly to get it.
"""
