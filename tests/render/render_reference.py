# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The reference's "OS-family differences" table and "Repositories" notes, written out as
literal data: what each platform and package source must resolve to. Nothing here is
computed from the roles."""

from __future__ import annotations

FAMILY = {
    "RedHat": {
        "etcd_driver": "patroni-etcd",
        "etcd_packages": ["etcd"],
        "auto_cluster": "",
        "etcd_env_file": "/etc/etcd/etcd.conf",
        "patroni_config_file": "/etc/patroni/patroni.yml",
        "firewall_tool": "firewalld",
        "firewall_packages": ["firewalld"],
    },
    "Debian": {
        "etcd_driver": "python3-etcd",
        "etcd_packages": ["etcd-server", "etcd-client"],
        "auto_cluster": "main",
        "etcd_env_file": "/etc/default/etcd",
        "patroni_config_file": "/etc/patroni/config.yml",
        "firewall_tool": "ufw",
        "firewall_packages": ["ufw"],
    },
}

_EL = {
    "pg1": {
        "packages": ["postgresql18-server", "postgresql18-contrib", "patroni", "patroni-etcd"],
        "bin_dir": "/usr/pgsql-18/bin",
        "data_dir": "/var/lib/pgsql/18/data",
    },
    "pg2": {
        "packages": ["postgresql17-server", "postgresql17-contrib", "patroni", "patroni-etcd"],
        "bin_dir": "/usr/pgsql-17/bin",
        "data_dir": "/var/lib/pgsql/17/data",
    },
    # RHEL 10's default PostgreSQL stream (16) carries the unversioned package names.
    "pg3": {
        "packages": ["postgresql-server", "postgresql-contrib", "patroni", "patroni-etcd"],
        "bin_dir": "/usr/bin",
        "data_dir": "/var/lib/pgsql/data",
    },
}


def _deb(distro_version: str) -> dict:
    def node(v):
        return {
            "packages": [f"postgresql-{v}", "patroni", "python3-etcd", "python3-psycopg2"],
            "bin_dir": f"/usr/lib/postgresql/{v}/bin",
            "data_dir": f"/var/lib/postgresql/{v}/main",
        }
    return {"pg1": node("18"), "pg2": node("17"), "pg3": node(distro_version)}


# platform -> database host (pg1: pgdg 18, pg2: pgdg 17, pg3: distro) -> expected values
POSTGRES = {
    "rocky10": _EL,
    "alma10": _EL,
    "debian13": _deb("17"),
    "ubuntu2404": _deb("16"),
    "ubuntu2604": _deb("18"),
}

# The PostgreSQL major each release ships itself.
DISTRO_POSTGRESQL = {"rocky10": "16", "alma10": "16", "debian13": "17", "ubuntu2404": "16", "ubuntu2604": "18"}

# Repositories.
PGDG_APT_SUITE = {"debian13": "trixie-pgdg", "ubuntu2404": "noble-pgdg", "ubuntu2604": "resolute-pgdg"}
PGDG_APT_URI = "https://apt.postgresql.org/pub/repos/apt"
PGDG_APT_KEY = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc"
PGDG_YUM_REPO_RPM = "https://download.postgresql.org/pub/repos/yum/reporpms/EL-10-x86_64/pgdg-redhat-repo-latest.noarch.rpm"
PGDG_YUM_KEY = "/etc/pki/rpm-gpg/PGDG-RPM-GPG-KEY-RHEL"
PGDG_YUM_EXTRAS = "pgdg-rhel10-extras"

SUPPORTED_PLATFORM_NAMES = ["Debian 13", "Ubuntu 24.04", "Ubuntu 26.04", "Rocky 10", "AlmaLinux 10"]

# Ports: the TCP ports each side's firewall opens.
PORTS = {"postgres": [5432, 8008, 2379, 2380], "haproxy": [5000, 5001, 7000]}
