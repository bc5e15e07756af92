"""pgha_lab.profiles: the DCS timing rule (module_utils/_dcs_timing) and the comparison of a
profile with the rendered haproxy.cfg."""

from __future__ import annotations

import pytest

from pgha_lab import ROOT, profiles
from pgha_lab.inventory import Inventory, role_default

RENDERED = """global
    maxconn 2000

defaults
    retries 2

listen postgres_primary
    bind *:5000
    default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions fastinter 1s downinter 1s
    server pg1 172.28.0.11:5432 maxconn 200 check port 8008

listen postgres_replicas
    bind *:5001
    default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions fastinter 1s downinter 1s
    server pg1 172.28.0.11:5432 maxconn 200 check port 8008
"""

REFERENCE = {"inter": "3s", "fastinter": "1s", "downinter": "1s", "fall": "3", "rise": "2", "retries": "2"}


@pytest.mark.parametrize("name", ["reference", "fast", "strict", "quorum", "async"])
def test_the_shipped_profiles_pass_the_dcs_timing_rule(name):
    profiles.check(name)


@pytest.mark.parametrize(("name", "posture"), [
    ("reference", (True, False, 1)),
    ("fast", (True, False, 1)),
    ("strict", (True, True, 1)),
    ("quorum", ("quorum", False, 1)),
    ("async", (False, False, 1)),
])
def test_a_profile_s_posture_is_what_the_dcs_holds_after_site_yml(name, posture):
    """What a profile leaves out is the role's default (site.yml -e sets only what it names): applying
    reference after strict takes strict back. 'quorum' stays a string, the others are booleans."""
    settings = profiles.dcs_settings(profiles.load(name))
    assert (settings["synchronous_mode"], settings["synchronous_mode_strict"], settings["synchronous_node_count"]) == posture
    assert settings["ttl"] == profiles.load(name).get("patroni_ttl", role_default("patroni_ttl"))


def test_a_profile_patroni_would_change_is_refused(tmp_path, monkeypatch):
    (tmp_path / "bad.yml").write_text("patroni_ttl: 20\npatroni_loop_wait: 5\npatroni_retry_timeout: 10\n")
    monkeypatch.setattr(profiles, "PROFILES_DIR", tmp_path)
    with pytest.raises(profiles.ProfileError, match=r"patroni_loop_wait=5 \+ 2 \* patroni_retry_timeout=10 exceeds patroni_ttl=20"):
        profiles.check("bad")


def test_rendered_keywords_are_read_from_every_default_server_line():
    assert profiles.haproxy_rendered(RENDERED) == [REFERENCE, REFERENCE]


def test_the_reference_values_match_the_rendered_file():
    assert profiles.haproxy_differences(REFERENCE, RENDERED) == []


def test_other_values_are_named():
    fast = dict(REFERENCE, inter="500ms", retries="0")
    assert profiles.haproxy_differences(fast, RENDERED) == ["inter 3s instead of 500ms", "retries 2 instead of 0"] * 2


def test_a_keyword_left_out_must_be_absent():
    rendered = RENDERED.replace(" fastinter 1s downinter 1s", "")
    assert profiles.haproxy_differences(dict(REFERENCE, fastinter=None, downinter=None), rendered) == []
    assert "fastinter (absent) instead of 1s" in profiles.haproxy_differences(REFERENCE, rendered)


def test_a_file_without_default_server_never_matches():
    assert profiles.haproxy_differences(REFERENCE, "global\n") == ["no default-server line"]


def test_contains_compares_the_wanted_keys_only():
    assert profiles.contains({"ttl": 30, "loop_wait": 10, "postgresql": {"parameters": {"a": 1}}}, {"postgresql": {"parameters": {"a": 1}}})
    assert not profiles.contains({"ttl": 30}, {"ttl": 20})
    assert not profiles.contains({"postgresql": None}, {"postgresql": {"parameters": {}}})


def test_what_a_profile_leaves_out_comes_from_the_inventory_or_the_role():
    lab_inventory = Inventory.load(ROOT / "inventory" / "lab")
    wanted = profiles.haproxy_wanted(lab_inventory, {"haproxy_check_inter": "500ms", "haproxy_check_fastinter": "", "haproxy_retries": 0})
    assert wanted["inter"] == "500ms"
    assert wanted["fastinter"] is None  # '' leaves the keyword out of the line
    assert wanted["retries"] == "0"
    assert wanted["fall"] == str(role_default("haproxy_check_fall"))
