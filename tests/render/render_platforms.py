# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The platforms the rendering tests fake, as the facts `setup` would report.

Every supported platform gets the reference's five hosts (db 10.0.1.11-13, proxies
10.0.1.21-22, VIP 10.0.1.10). The three database hosts differ only in where PostgreSQL
comes from, so one run covers each package source and version:

    pg1: pgdg, PostgreSQL 18    pg2: pgdg, PostgreSQL 17    pg3: distro, the release's own

Two more clusters of those five hosts (PORT_CLUSTERS) move ports off their defaults, and one
more host (OVERRIDE_HOST) sets every override. Unsupported platforms get one host each and
only run the common preflight.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    key: str
    os_family: str
    distribution: str
    major: str
    version: str
    release: str
    interface: str
    selinux: str  # "enabled" on the RHEL family (enforcing), "disabled" elsewhere
    distro_postgresql: str = ""  # the release's own PostgreSQL major (supported platforms)


SUPPORTED = {
    p.key: p
    for p in (
        Platform("rocky10", "RedHat", "Rocky", "10", "10.0", "Red Quartz", "enp1s0", "enabled", "16"),
        Platform("alma10", "RedHat", "AlmaLinux", "10", "10.0", "Purple Lion", "ens3", "enabled", "16"),
        Platform("debian13", "Debian", "Debian", "13", "13.1", "trixie", "eth0", "disabled", "17"),
        Platform("ubuntu2404", "Debian", "Ubuntu", "24", "24.04", "noble", "enp1s0", "disabled", "16"),
        Platform("ubuntu2604", "Debian", "Ubuntu", "26", "26.04", "resolute", "enp1s0", "disabled", "18"),
    )
}

UNSUPPORTED = {
    p.key: p
    for p in (
        Platform("centos7", "RedHat", "CentOS", "7", "7.9", "Core", "eth0", "enabled"),
        Platform("rocky9", "RedHat", "Rocky", "9", "9.6", "Blue Onyx", "eth0", "enabled"),
        Platform("debian12", "Debian", "Debian", "12", "12.11", "bookworm", "eth0", "disabled"),
        Platform("ubuntu2204", "Debian", "Ubuntu", "22", "22.04", "jammy", "eth0", "disabled"),
        Platform("ubuntu2410", "Debian", "Ubuntu", "24", "24.10", "oracular", "eth0", "disabled"),
        Platform("opensuse15", "Suse", "openSUSE Leap", "15", "15.6", "", "eth0", "disabled"),
    )
}

SUBNET = "10.0.1.0/24"
VIP = "10.0.1.10"
DB_HOSTS = {"pg1": "10.0.1.11", "pg2": "10.0.1.12", "pg3": "10.0.1.13"}
PROXY_HOSTS = {"ha1": "10.0.1.21", "ha2": "10.0.1.22"}
# The pgBackRest repository host of the clusters made with a backup group.
BACKUP_HOSTS = {"bk1": "10.0.1.31"}
# The platforms rendered a second time with a backup group (one of each family).
BACKUP_PLATFORMS = ("debian13", "rocky10")
# A host outside the clusters (its own one-member etcd and Patroni groups) that sets
# every "empty: the OS family's" override.
OVERRIDE_HOST = "debian13-custom"
OVERRIDES = {
    "patroni_packages": ["custom-postgresql", "custom-patroni"],
    "patroni_bin_dir": "/opt/pg/bin",
    "patroni_data_dir": "/srv/pg/data",
    "patroni_config_file": "/etc/patroni/custom.yml",
    "etcd_packages": ["custom-etcd"],
    "etcd_config_file": "/etc/etcd/custom.env",
    "patroni_postgresql_parameters_extra": {"max_connections": 300},
}


@dataclass(frozen=True)
class PortCluster:
    """A cluster of the reference's five hosts whose inventory moves ports off their defaults."""
    key: str
    platform: Platform
    # False: the moved ports are set for every host of the cluster; True: each only in the
    # vars of its owner's group (patroni_postgresql_port on the database nodes alone), so
    # the other roles can only learn it from the facts the owner publishes.
    owner_group_only: bool
    # pgha_tls_enabled for the whole cluster (the supported platforms' clusters use the default, on).
    tls: bool = True


# The ports moved, by the group of the role that owns them.
MOVED_PORTS = {
    "etcd": {"etcd_client_port": 2479},
    "postgres": {"patroni_postgresql_port": 6432, "patroni_restapi_port": 8018},
    "haproxy": {"haproxy_write_port": 6000},
}
MOVED = {name: port for ports in MOVED_PORTS.values() for name, port in ports.items()}
PORT_CLUSTERS = {
    c.key: c
    for c in (
        PortCluster("ports", SUPPORTED["debian13"], owner_group_only=False, tls=False),
        PortCluster("groupports", SUPPORTED["rocky10"], owner_group_only=True),
    )
}

# The synchronous posture of the port clusters (the supported platforms' clusters keep the default:
# synchronous_mode true, not strict, one synchronous standby).
POSTURES = {
    "ports": {"patroni_synchronous_mode": "quorum", "patroni_synchronous_mode_strict": True,
              "patroni_synchronous_node_count": 2},
    "groupports": {"patroni_synchronous_mode": False},
}

# A cluster of the reference's five hosts on Rocky 10 (firewalld) whose hosts set the firewall's
# sources: admin hosts (IPv4 and IPv6) on pg1 and ha1, the clients' networks on ha1, and the
# deprecated single source on ha2. pg2, pg3: the defaults.
SOURCES_CLUSTER = "sources"
SOURCES_PLATFORM = "rocky10"
ADMIN_SOURCES = ["192.0.2.5", "2001:db8:1::/64"]
CLIENT_SOURCES = ["198.51.100.0/24", "2001:db8:2::/64"]
LEGACY_SOURCE = "203.0.113.0/24"
SOURCES_HOST_VARS = {
    "pg1": {"common_firewall_admin_sources": ADMIN_SOURCES},
    "ha1": {"common_firewall_admin_sources": ADMIN_SOURCES, "common_firewall_client_sources": CLIENT_SOURCES},
    "ha2": {"common_firewall_source": LEGACY_SOURCE},
}

# What each database host installs (patroni_postgresql_source, patroni_postgresql_version).
SOURCES = {"pg1": ("pgdg", "18"), "pg2": ("pgdg", "17"), "pg3": ("distro", None)}


def host_name(cluster: Platform | PortCluster | str, short: str) -> str:
    """A host's inventory name: its cluster's key (a platform's, for the supported platforms) and its short name."""
    return f"{cluster if isinstance(cluster, str) else cluster.key}-{short}"


def facts(platform: Platform, hostname: str, address: str) -> dict:
    """The `setup` facts a host of this platform reports (prefixed, as in the fact cache)."""
    iface = platform.interface
    net = address.rsplit(".", 1)[0]  # every faked host is on a /24
    ipv4 = {"address": address, "broadcast": f"{net}.255", "netmask": "255.255.255.0", "network": f"{net}.0", "prefix": "24"}
    selinux = (
        {"status": "enabled", "mode": "enforcing", "config_mode": "enforcing", "type": "targeted", "policyvers": 33}
        if platform.selinux == "enabled"
        else {"status": "disabled"}
    )
    return {
        # What `setup` records with the facts: site.yml's fact gathering (gathering = smart) skips the host.
        "_ansible_facts_gathered": True,
        "ansible_hostname": hostname,
        "ansible_nodename": hostname,
        "ansible_fqdn": hostname,
        "ansible_system": "Linux",
        "ansible_os_family": platform.os_family,
        "ansible_distribution": platform.distribution,
        "ansible_distribution_major_version": platform.major,
        "ansible_distribution_version": platform.version,
        "ansible_distribution_release": platform.release,
        "ansible_architecture": "x86_64",
        "ansible_userspace_architecture": "x86_64",
        "ansible_virtualization_role": "guest",
        "ansible_virtualization_type": "kvm",
        "ansible_virtualization_tech_guest": ["kvm"],
        "ansible_virtualization_tech_host": [],
        "ansible_selinux": selinux,
        "ansible_selinux_python_present": platform.selinux == "enabled",
        "ansible_service_mgr": "systemd",
        "ansible_pkg_mgr": "dnf" if platform.os_family == "RedHat" else "apt",
        "ansible_default_ipv4": {
            "address": address,
            "alias": iface,
            "broadcast": "10.0.1.255",
            "gateway": "10.0.1.1",
            "interface": iface,
            "macaddress": "52:54:00:00:00:01",
            "mtu": 1500,
            "netmask": "255.255.255.0",
            "network": "10.0.1.0",
            "prefix": "24",
            "type": "ether",
        },
        "ansible_all_ipv4_addresses": [address],
        "ansible_interfaces": ["lo", iface],
        "ansible_lo": {
            "active": True,
            "device": "lo",
            "ipv4": {"address": "127.0.0.1", "broadcast": "", "netmask": "255.0.0.0", "network": "127.0.0.0", "prefix": "8"},
            "type": "loopback",
        },
        f"ansible_{iface}": {"active": True, "device": iface, "ipv4": ipv4, "macaddress": "52:54:00:00:00:01", "mtu": 1500, "type": "ether"},
    }
