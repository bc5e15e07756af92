"""TLS and authentication on every link (pgha_tls_enabled, the default in the lab).

Each check pairs a refusal with the same request made the right way, so a refusal for an
unrelated reason (a node down, a wrong address) fails the test instead of passing it."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import ssl
import urllib.error
import urllib.request

import psycopg
import pytest
from cryptography import x509
# Imported here, not lazily at fixture time: a combined lab run (test_05 first) could no longer
# import cryptography.hazmat.backends when the fixture first generated a key.
from cryptography.hazmat import backends  # noqa: F401  pylint: disable=unused-import
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

pytestmark = pytest.mark.usefixtures("tls_on")


@pytest.fixture(scope="module")
def tls_on(lab):
    assert lab.tls, "the lab inventory turns TLS off (pgha_tls_enabled): these tests need it on"
    assert lab.healthy(), "the cluster is not healthy before the TLS checks"


@pytest.fixture(scope="module")
def stranger(tmp_path_factory, lab):
    """A certificate and key for 127.0.0.1 and every lab address, signed by a CA that is not the cluster's."""
    work = tmp_path_factory.mktemp("stranger")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stranger CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address(a)) for a in ["127.0.0.1", *lab.addresses.values()]]
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stranger")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (work / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (work / "stranger.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (work / "stranger.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (work / "stranger.key").chmod(0o600)
    return {"ca": str(work / "ca.crt"), "cert": (str(work / "stranger.crt"), str(work / "stranger.key"))}


def _postmaster_start(lab, host):
    return lab.patroni(host)["postmaster_start_time"]


# --- Patroni REST API ---------------------------------------------------------
def test_rest_api_unsafe_endpoints_need_certificate_and_password(lab):
    """POST /restart: no client certificate -> 403, the cluster's certificate without the password -> 401;
    nothing restarts. With both, an unsafe endpoint is accepted (POST /reload changes nothing)."""
    host = lab.postgres[0]
    before = _postmaster_start(lab, host)
    status, body = lab.patroni_request(host, "POST", "restart", body={})
    assert status == 403, body
    status, body = lab.patroni_request(host, "POST", "restart", body={}, client_cert=lab.client_cert(lab.proxies[0]))
    assert status == 401, body
    status, body = lab.patroni_request(host, "POST", "restart", body={}, auth=True)
    assert status == 403, body
    assert _postmaster_start(lab, host) == before, "PostgreSQL restarted on an unauthenticated request"
    status, body = lab.patroni_request(host, "POST", "reload", auth=True, client_cert=lab.client_cert(lab.proxies[0]))
    assert status == 202, body


def test_rest_api_refuses_a_certificate_of_another_ca(lab, stranger):
    host = lab.postgres[0]
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        lab.patroni_request(host, "POST", "restart", body={}, auth=True, client_cert=stranger["cert"])


def test_rest_api_and_etcd_no_longer_answer_plain_http(lab):
    """http:// on the REST API and etcd's client port gets no HTTP answer; https:// does."""
    host = lab.postgres[0]
    for port in (lab.restapi_port, lab.etcd_client_port):
        conn = http.client.HTTPConnection(lab.addresses[host], port, timeout=5)
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            conn.request("GET", "/health")
            response = conn.getresponse()
            # A TLS server may answer a plain request with a 400 "client sent an HTTP request to an HTTPS server".
            if response.status == 400:
                raise http.client.HTTPException(f"port {port}: {response.status} {response.read()[:80]!r}")
            pytest.fail(f"{host}:{port} answered plain HTTP with {response.status}")
        conn.close()
    assert lab._patroni_get(host, "health") is not None  # pylint: disable=protected-access


def test_server_certificates_are_verified_against_the_cluster_ca(lab, stranger):
    """A client trusting another CA cannot verify the REST API: the certificates are the cluster's own."""
    context = ssl.create_default_context(cafile=stranger["ca"])
    with pytest.raises((ssl.SSLError, urllib.error.URLError)):
        urllib.request.urlopen(lab.patroni_url(lab.postgres[0], "health"), timeout=5, context=context)


# --- etcd -------------------------------------------------------------------------
def test_etcd_needs_a_client_certificate_of_the_cluster_ca(lab):
    host = lab.etcd[0]
    endpoint = lab.etcd_endpoint(host)
    ca = f"{lab.host_tls_dir}/ca.crt"
    bare = lab.sh(host, "etcdctl", "--cacert", ca, "--endpoints", endpoint, "--dial-timeout", "3s",
                  "--command-timeout", "5s", "get", "/", "--prefix", "--keys-only", "--limit", "1", check=False)
    assert bare.returncode != 0, f"etcd answered a client without a certificate: {bare.stdout}"
    good = lab.etcdctl(host, "--endpoints", endpoint, "get", "/", "--prefix", "--keys-only", "--limit", "1", check=False)
    assert good.returncode == 0, good.stderr


def test_etcd_refuses_a_certificate_of_another_ca(lab, stranger):
    host = lab.etcd[0]
    lab.docker("cp", stranger["cert"][0], f"{host}:/tmp/stranger.crt")
    lab.docker("cp", stranger["cert"][1], f"{host}:/tmp/stranger.key")
    proc = lab.sh(host, "etcdctl", "--cacert", f"{lab.host_tls_dir}/ca.crt", "--cert", "/tmp/stranger.crt",
                  "--key", "/tmp/stranger.key", "--endpoints", lab.etcd_endpoint(host), "--dial-timeout", "3s",
                  "--command-timeout", "5s", "get", "/", "--prefix", "--keys-only", "--limit", "1", check=False)
    lab.sh(host, "rm", "-f", "/tmp/stranger.crt", "/tmp/stranger.key")
    assert proc.returncode != 0, f"etcd accepted a certificate of another CA: {proc.stdout}"


def test_etcd_peers_speak_tls(lab):
    """Every member's advertised peer URL is https (the peers authenticate each other with certificates)."""
    out = lab.etcdctl(lab.etcd[0], "--endpoints", lab.etcd_endpoint(lab.etcd[0]), "member", "list", "-w", "json").stdout
    members = json.loads(out)["members"]
    assert len(members) == len(lab.etcd)
    for member in members:
        assert all(u.startswith("https://") for u in member["peerURLs"] + member["clientURLs"]), member


# --- PostgreSQL ---------------------------------------------------------------
@pytest.mark.parametrize("where", ["vip", "node"])
def test_postgresql_refuses_connections_without_tls(lab, where):
    host = lab.vip if where == "vip" else lab.addresses[lab.leader()["name"]]
    port = lab.write_port if where == "vip" else lab.postgresql_port
    with pytest.raises(psycopg.OperationalError, match="no encryption|pg_hba"):
        lab.connect(port, host=host, sslmode="disable").close()
    with lab.connect(port, host=host) as conn:  # verify-full against the cluster CA
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0] is True


def test_replication_runs_over_tls(lab):
    with lab.connect(lab.write_port) as conn:
        rows = conn.execute("SELECT r.application_name, s.ssl FROM pg_stat_replication r "
                            "JOIN pg_stat_ssl s USING (pid)").fetchall()
    assert len(rows) == len(lab.postgres) - 1, rows
    assert all(ssl_on for _name, ssl_on in rows), rows


def test_pg_hba_has_no_plain_tcp_line(lab):
    with lab.connect(lab.write_port) as conn:
        rows = conn.execute("SELECT type, database, user_name, address, auth_method FROM pg_hba_file_rules "
                            "WHERE type <> 'local'").fetchall()
    assert rows and all(r[0] == "hostssl" for r in rows), rows
    replication = [r for r in rows if r[1] == ["replication"]]
    members = {lab.addresses[h] for h in lab.postgres}
    assert {r[3] for r in replication} == members | {"127.0.0.1", "::1"}, replication


# --- keys on the hosts ------------------------------------------------------------
@pytest.mark.parametrize("group, name, owner", [
    ("etcd", "etcd.key", "etcd"), ("postgres", "postgres.key", "postgres"),
    ("all", "host.key", "root"), ("haproxy", "haproxy.pem", "root"),
    ("pgbackrest", "pgbackrest.key", "postgres"),
])
def test_private_keys_belong_to_their_service_alone(lab, group, name, owner):
    hosts = {"etcd": lab.etcd, "postgres": lab.postgres, "haproxy": lab.proxies,
             "pgbackrest": lab.postgres + lab.backup,
             "all": list(dict.fromkeys(lab.postgres + lab.etcd + lab.proxies + lab.backup))}[group]
    for host in hosts:
        out = lab.sh(host, "stat", "-c", "%U %a", f"{lab.host_tls_dir}/{name}").stdout.split()
        assert out == [owner, "600"], f"{host}:{name}"
