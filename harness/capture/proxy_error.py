"""The error a capture proxy raises when it cannot start.

It lives apart from harness.capture.proxy so that code which only catches it
does not import mitmproxy, which takes a noticeable part of a second.
"""


class ProxyStartError(RuntimeError):
    """mitmproxy did not start: bad options, a port in use, or a timeout."""
