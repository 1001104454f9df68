# Sourced by the bin/ scripts: installing Debian packages when something is missing.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "need root (or sudo) to run: $*" >&2; return 1
  fi
}

apt_updated=
apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "apt-get not found: install $* yourself" >&2
    return 1
  fi
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# The clickhouse-server binary (PATH or Debian's location), or nothing.
clickhouse_binary() {
  command -v clickhouse-server || { [ -x /usr/sbin/clickhouse-server ] && echo /usr/sbin/clickhouse-server; } || true
}

ensure_clickhouse() {
  if [ -z "$(clickhouse_binary)" ]; then
    echo "installing Debian's clickhouse-server"
    apt_install clickhouse-server
  fi
}

# The cluster tests run ZooKeeper from the jar of Debian's package.
ensure_zookeeper() {
  if [ ! -r /usr/share/java/zookeeper.jar ]; then
    echo "installing Debian's zookeeper"
    apt_install zookeeper
  fi
}

ensure_java_and_maven() {
  command -v java >/dev/null || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null || apt_install maven
}
