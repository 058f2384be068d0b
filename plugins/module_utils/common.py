# -*- coding: utf-8 -*-
# Copyright: Contributors to the edgeops.ecs_anywhere project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared plumbing for the edgeops.ecs_anywhere modules.

Nothing here knows an AWS API: clients with retries, batching, pagination,
a generic waiter, the "already gone" error handler for delete calls, the one
exception type module_utils raise for failures that a user must act on, and
how a module turns those failures into fail_json.

Error codes, the deletion handler and tags come from amazon.aws
(is_boto3_error_code, AWSErrorHandler, module_utils.tagging); nothing here
re-implements them.
"""

from __future__ import annotations

import contextlib
import re
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# ECS throttles with "ThrottlingException", which AWSRetry does not retry on its
# own (it knows "Throttling"). Every client of this collection retries both.
RETRY_ERROR_CODES = ["ThrottlingException"]
RETRY_DECORATOR = AWSRetry.jittered_backoff(
    retries=10, delay=1, backoff=2.0, max_delay=30, catch_extra_error_codes=RETRY_ERROR_CODES
)

# Waiter pacing: first poll after WAIT_DELAY_MIN seconds, doubling up to WAIT_DELAY_MAX.
WAIT_DELAY_MIN = 1.0
WAIT_DELAY_MAX = 10.0


class EcsAnywhereError(Exception):
    """A failure the user must act on. ``msg`` says what happened and what to do;
    ``details`` is returned as extra keys of the failed result."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class WaitTimeout(Exception):
    """Raised by :func:`wait_for` with the last value the check returned."""

    def __init__(self, timeout, last):
        super().__init__(f"timed out after {timeout} seconds")
        self.timeout = timeout
        self.last = last


def aws_client(module, service):
    """A boto3 client for ``service`` whose calls retry throttling when made with ``aws_retry=True``."""
    return module.client(service, retry_decorator=RETRY_DECORATOR)


def gone_error_handler(*gone_codes):
    """An amazon.aws AWSErrorHandler for which the error codes ``gone_codes`` mean
    "the resource is not there". Its ``deletion_error_handler(description)``
    makes a decorated delete/deregister function return False when AWS answers
    with one of them (already gone), and turns any other AWS error into an
    AnsibleAWSError "Failed to <description>" (see :func:`module_errors`)."""

    class GoneErrorHandler(AWSErrorHandler):
        @classmethod
        def _is_missing(cls):
            return is_boto3_error_code(list(gone_codes))

    return GoneErrorHandler


@contextlib.contextmanager
def module_errors(module, msg):
    """Turn what module_utils raise into the module's failure: EcsAnywhereError
    (its message and details), and AWS errors as amazon.aws modules report them
    (fail_json_aws: the AWS error and its code in the result) after ``msg``, which
    names the resource; an AnsibleAWSError (from an AWSErrorHandler) adds the call
    that failed: ``<msg>: Failed to <call>: <AWS error>``."""
    try:
        yield
    except EcsAnywhereError as e:
        module.fail_json(msg=e.msg, **e.details)
    except AnsibleAWSError as e:
        if e.exception is None:
            module.fail_json(msg=f"{msg}: {e.message}")
        module.fail_json_aws(e.exception, msg=f"{msg}: {e.message}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=msg)


def exit_with_diff(module, diff, **result):
    """``exit_json(**result)``, with ``diff`` (an ensure helper's third value) when run with --diff."""
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


def chunks(items, size):
    """Split ``items`` into lists of at most ``size`` elements, keeping order."""
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def paginate(call, result_key, token_in="nextToken", token_out="nextToken", **kwargs):
    """Call ``call(aws_retry=True, **kwargs)`` page after page and concatenate ``result_key``.

    Each page is retried on its own, so a throttled page does not restart the listing.
    """
    items = []
    kwargs = dict(kwargs)
    while True:
        response = call(aws_retry=True, **kwargs)
        items.extend(response.get(result_key) or [])
        token = response.get(token_out)
        if not token:
            return items
        kwargs[token_in] = token


def wait_for(check, timeout, sleep=None, clock=None, delay_min=None, delay_max=None):
    """Poll ``check()`` until it returns ``(True, value)``; return ``value``.

    ``check`` is called at least once, even with ``timeout`` 0. Raises :class:`WaitTimeout`
    carrying the last value when ``timeout`` seconds pass first.
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    delay = WAIT_DELAY_MIN if delay_min is None else delay_min
    delay_max = WAIT_DELAY_MAX if delay_max is None else delay_max
    deadline = clock() + timeout
    while True:
        done, value = check()
        if done:
            return value
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(timeout, value)
        sleep(min(delay, remaining))
        delay = min(delay * 2, delay_max)


_DURATION_RE = re.compile(r"(\d+)\s*([smhdw]?)")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value):
    """Seconds in a duration such as ``90``, ``30m``, ``1h``, ``1d12h`` or ``2w``.

    Raises ValueError for anything else.
    """
    text = str(value).strip().lower()
    if not text:
        raise ValueError("empty duration")
    position = 0
    seconds = 0
    for match in _DURATION_RE.finditer(text):
        if match.start() != position:
            break
        seconds += int(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
        while position < len(text) and text[position] == " ":
            position += 1
    if position != len(text):
        raise ValueError(f"{value!r} is not a duration such as 30m, 12h, 7d or 1d12h")
    return seconds


def short_list(items, limit=10):
    """``a, b, c (and N more)`` for fail messages about many resources."""
    items = [str(i) for i in items]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" (and {len(items) - limit} more)"
