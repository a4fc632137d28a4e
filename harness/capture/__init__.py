"""Capture: turn what a browser or proxy saw into decoded TagRequests."""
