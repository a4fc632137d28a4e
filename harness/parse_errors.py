"""Messages for YAML and JSON text that failed to parse, shared by the profile, settings and case readers.

Pure. Each reader catches PARSE_ERRORS around its `yaml.safe_load` or
`json.loads` call and puts the message after the file name.
"""

from __future__ import annotations

import json

import yaml

# ValueError also covers integers of more than 4,300 digits, which Python
# rejects when it converts them.
PARSE_ERRORS = (yaml.YAMLError, RecursionError, ValueError)


def parse_error_message(error: BaseException, language: str) -> str:
    """Return why `language` ("YAML" or "JSON") text failed to parse, with the line and column where known."""
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
    if isinstance(error, yaml.YAMLError):
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        return f"invalid YAML{where}: {problem}"
    if isinstance(error, RecursionError):
        return f"{language} nested too deeply to read"
    # Python's message ends with advice for programmers ("use sys.set_int_max_str_digits()").
    reason = str(error).split(";")[0]
    return f"cannot read the {language}: {reason}"
