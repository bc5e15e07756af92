# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The common preflight (run by render.yml on faked hosts) passes on every supported
platform and stops an unsupported one with the list of supported platforms."""

from __future__ import annotations

import pytest

from render_platforms import DB_HOSTS, OVERRIDE_HOST, PORT_CLUSTERS, PROXY_HOSTS, SUPPORTED, UNSUPPORTED, host_name
from render_reference import SUPPORTED_PLATFORM_NAMES

SUPPORTED_HOSTS = [host_name(c, s) for c in [*SUPPORTED.values(), *PORT_CLUSTERS.values()] for s in list(DB_HOSTS) + list(PROXY_HOSTS)]


@pytest.mark.parametrize("host", SUPPORTED_HOSTS + [OVERRIDE_HOST])
def test_supported_platform_passes(preflight, host):
    assert preflight[host] == {"failed": False, "msg": ""}


@pytest.mark.parametrize("platform", list(UNSUPPORTED))
def test_unsupported_platform_fails(preflight, platform):
    p = UNSUPPORTED[platform]
    result = preflight[f"{platform}-pg1"]
    assert result["failed"] is True, result
    assert result["task"] == "Check the operating system is supported"
    assert f"runs {p.distribution} {p.version} ({p.os_family} family)" in result["msg"]
    supported = result["msg"].split("Supported:", 1)[1]
    for name in SUPPORTED_PLATFORM_NAMES:
        assert name in supported, name
