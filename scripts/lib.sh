# Shared by the scripts: find cargo and the PostgreSQL server binaries, installing the latter
# from Debian's packages when they are missing and we may (root with apt-get).

if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || {
    echo "cargo is not installed: install the Rust toolchain (https://rustup.rs)" >&2
    exit 1
}

pg_bindir() {
    local dir
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
        return 0
    fi
    dir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && echo "$dir"
}

ensure_postgres() {
    if [ -n "${DATABASE_URL:-}" ] || [ -n "$(pg_bindir)" ]; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "PostgreSQL server binaries not found: installing postgresql-15 from Debian's packages" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2 \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    if [ -z "$(pg_bindir)" ]; then
        echo "PostgreSQL server binaries (initdb, pg_ctl, postgres) are missing." >&2
        echo "Install them (Debian/Ubuntu: 'apt-get install postgresql-15') or set DATABASE_URL." >&2
        exit 1
    fi
}

# The tests look at pages in a real browser: Debian's chromium, driven through chromedriver
# (chromium-driver), with a CJK font so that screenshots of Chinese pages show characters,
# installed when missing and we may (root with apt-get).
ensure_chromium() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
        missing+=(fonts-noto-cjk)
    fi
    if [ ${#missing[@]} = 0 ]; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} from Debian's packages (the browser tests need them)" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    fi
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
        || ! command -v chromedriver >/dev/null 2>&1; then
        echo "The browser tests need Debian's chromium and chromium-driver ('apt-get install chromium chromium-driver fonts-noto-cjk')." >&2
        exit 1
    fi
}

# Runs a PostgreSQL binary as the 'postgres' user when we are root (initdb refuses root).
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
