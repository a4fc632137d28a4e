"""pintrk-harness: check that a Segment + Pinterest tag setup sends Pinterest the right events."""

__version__ = "0.1.0"
