#!/usr/bin/env bash
# Installs the Debian packages genaiproxy needs to build, test, benchmark and fuzz.
# Idempotent: does nothing when every package is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-16 libclang-rt-16-dev clang-format
  libasio-dev libcurl4-openssl-dev libsimdjson-dev nlohmann-json3-dev libsqlite3-dev
  libconfig++-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  mariadb-server mariadb-client libmariadb-dev
  python3 python3-pymysql python3-aiohttp
  # TLS tests: certificates made with the openssl CLI; PyMySQL's caching_sha2_password RSA path
  openssl python3-cryptography
  # tests/integration/test_ansible.py: the community.proxysql collection against the admin port
  ansible
  sysbench haproxy procps
  # a near-zero-cost HTTP service for bench/genai_cost.bench.sh
  nginx-light libnginx-mod-http-echo
  # the driver suite (tests/drivers): Connector/J, Go, PHP, Python, Ruby; node runs mysql2
  # and mariadb from npm (tests/drivers/node/package-lock.json)
  default-jdk-headless libmariadb-java
  golang-go golang-github-go-sql-driver-mysql-dev
  php-cli php-mysql
  python3-mysqldb
  ruby-mysql2
  nodejs
  # make test-llama: llama-server is built from node-llama-cpp's git bundle (git, cmake, g++ above);
  # the tiny test models are written with its gguf-py
  git python3-numpy python3-yaml
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs comes without npm (a separate package); NodeSource's nodejs ships it.
if ! command -v npm >/dev/null 2>&1 && [[ ! " ${missing[*]} " == *" nodejs "* ]]; then
  missing+=(npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if ! command -v npm >/dev/null 2>&1; then
  $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
