# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pgBackRest on a cluster with a backup group, on both families: the repository host's and
the database nodes' configuration, what Patroni runs for the archive and for new replicas,
and the firewall opening pgBackRest's TLS port to the other side only. A cluster without a
backup group archives nothing."""

from __future__ import annotations

import configparser

import pytest
import yaml

from render_platforms import BACKUP_HOSTS, BACKUP_PLATFORMS, DB_HOSTS, SUPPORTED, host_name

# Each family's PostgreSQL (the platform's default source and version) and socket directory.
PATHS = {
    "debian13": ("/var/lib/postgresql/18/main", "/var/run/postgresql"),
    "rocky10": ("/var/lib/pgsql/18/data", "/run/postgresql"),
}


def _key(platform: str) -> str:
    return f"{platform}-bk"


def _conf(render, platform: str, short: str) -> configparser.ConfigParser:
    text = render[host_name(_key(platform), short)]["files"]["pgbackrest"]
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # option names are case-sensitive to pgBackRest
    parser.read_string(text)
    return parser


def _auth_lines(render, platform: str, short: str) -> list[str]:
    text = render[host_name(_key(platform), short)]["files"]["pgbackrest"]
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("tls-server-auth=")]


@pytest.mark.parametrize("platform", BACKUP_PLATFORMS)
def test_the_repository_host_backs_up_every_node_over_tls(render, platform):
    conf = _conf(render, platform, "bk1")
    glob, stanza = conf["global"], conf["pg-cluster"]
    assert glob["repo1-path"] == "/var/lib/pgbackrest"
    assert glob["repo1-cipher-type"] == "aes-256-cbc"
    assert glob["repo1-cipher-pass"] == "test-repository-passphrase-0123456789"
    assert (glob["repo1-retention-full"], glob["repo1-retention-diff"]) == ("2", "6")
    assert glob["backup-standby"] == "prefer"
    assert glob["tls-server-port"] == "8432"
    assert glob["tls-server-key-file"] == "/etc/pgha/tls/pgbackrest.key"
    # Only the database nodes, by their certificates' names, for this stanza.
    assert _auth_lines(render, platform, "bk1") == [f"{host_name(_key(platform), s)}=pg-cluster" for s in DB_HOSTS]
    for index, (short, address) in enumerate(DB_HOSTS.items(), start=1):
        data_dir, socket_dir = _paths(render, platform, short)
        assert stanza[f"pg{index}-host"] == address
        assert stanza[f"pg{index}-host-type"] == "tls"
        assert stanza[f"pg{index}-host-port"] == "8432"
        assert stanza[f"pg{index}-host-ca-file"] == "/etc/pgha/tls/ca.crt"
        assert stanza[f"pg{index}-path"] == data_dir
        assert stanza[f"pg{index}-socket-path"] == socket_dir
        assert stanza[f"pg{index}-port"] == "5432"
    assert "pg4-host" not in stanza
    assert "repo1-host" not in glob


def _paths(render, platform: str, short: str = "pg1") -> tuple[str, str]:
    """The data and socket directories the patroni role resolved on a node (the families differ)."""
    public = render[host_name(_key(platform), short)]["public"]
    return public["patroni_data_dir"], public["patroni_socket_dir"]


@pytest.mark.parametrize("platform", BACKUP_PLATFORMS)
def test_the_families_paths_are_their_own(render, platform):
    assert _paths(render, platform) == PATHS[platform]


@pytest.mark.parametrize("platform", BACKUP_PLATFORMS)
@pytest.mark.parametrize("short", list(DB_HOSTS))
def test_a_database_node_reaches_the_repository_over_tls(render, platform, short):
    conf = _conf(render, platform, short)
    data_dir, socket_dir = _paths(render, platform, short)
    glob, stanza = conf["global"], conf["pg-cluster"]
    assert glob["repo1-host"] == BACKUP_HOSTS["bk1"]
    assert glob["repo1-host-type"] == "tls"
    assert glob["repo1-host-cert-file"] == "/etc/pgha/tls/host.crt"
    assert glob["archive-async"] == "y"
    # The passphrase stays on the repository host.
    assert not any(name.startswith("repo1-cipher") for name in glob)
    assert "repo1-path" not in glob
    assert _auth_lines(render, platform, short) == [f"{host_name(_key(platform), 'bk1')}=pg-cluster"]
    assert dict(stanza) == {"pg1-path": data_dir, "pg1-port": "5432", "pg1-socket-path": socket_dir}


@pytest.mark.parametrize("platform", BACKUP_PLATFORMS)
def test_patroni_archives_restores_and_builds_replicas_from_the_repository(render, platform):
    config = yaml.safe_load(render[host_name(_key(platform), "pg1")]["files"]["patroni"])
    dcs = config["bootstrap"]["dcs"]["postgresql"]
    assert dcs["parameters"]["archive_mode"] == "on"
    assert dcs["parameters"]["archive_command"] == "/usr/bin/pgbackrest --stanza=pg-cluster archive-push %p"
    assert dcs["recovery_conf"] == {"restore_command": '/usr/bin/pgbackrest --stanza=pg-cluster archive-get %f "%p"'}
    assert config["postgresql"]["create_replica_methods"] == ["pgbackrest", "basebackup"]
    assert config["postgresql"]["pgbackrest"] == {
        "command": "/usr/bin/pgbackrest --stanza=pg-cluster --delta --type=standby restore",
        "keep_data": True, "no_params": True}


@pytest.mark.parametrize("platform", BACKUP_PLATFORMS)
def test_without_a_backup_group_nothing_is_archived(render, platform):
    config = yaml.safe_load(render[host_name(SUPPORTED[platform], "pg1")]["files"]["patroni"])
    assert "archive_mode" not in config["bootstrap"]["dcs"]["postgresql"]["parameters"]
    assert "recovery_conf" not in config["bootstrap"]["dcs"]["postgresql"]
    assert "create_replica_methods" not in config["postgresql"]
    assert "pgbackrest" not in render[host_name(SUPPORTED[platform], "pg1")].get("files", {})


@pytest.mark.parametrize("platform", BACKUP_PLATFORMS)
def test_the_firewall_opens_pgbackrest_to_the_other_side_only(render, platform):
    def sources(short):
        rules = render[host_name(_key(platform), short)]["public"]["common_firewall_rules"]
        return sorted(r["source"] for r in rules if r["port"] == 8432)
    assert sources("bk1") == sorted(f"{a}/32" for a in DB_HOSTS.values())
    for short in DB_HOSTS:
        assert sources(short) == [f"{BACKUP_HOSTS['bk1']}/32"]
    assert 8432 not in {r["port"] for r in render[host_name(_key(platform), "ha1")]["public"]["common_firewall_rules"]}
