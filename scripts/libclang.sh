# Sourced by scripts/setup.sh (and by tests/setup_script.rs against fake directory trees): decides
# whether RocksDB's build will find a usable libclang, the way bindgen's `clang-sys` (1.x, runtime
# loading, as `rocksdb`'s `bindgen-runtime` feature uses it) searches for one. Defines functions only.
#
# clang-sys's rules, mirrored here (clang-sys `build/common.rs` and `build/dynamic.rs`):
# - file names `libclang.so`, `libclang-*.so`, `libclang.so.*`, `libclang-*.so.*`, but never a name
#   containing `-cpp.` (`libclang-cpp.so.14` is the C++ library, not libclang);
# - `LIBCLANG_PATH`, when set, is the only place searched (a directory, or the library file itself);
# - otherwise `llvm-config --prefix`'s bin/lib/lib64, `LD_LIBRARY_PATH`, `LIBRARY_PATH`, and the
#   directories `/usr/local/llvm*/lib*`, `/usr/local/lib*/*/*`, `/usr/local/lib*/*`, `/usr/local/lib*`,
#   `/usr/lib*/*/*`, `/usr/lib*/*`, `/usr/lib*`;
# - a candidate must be a 64-bit ELF file (on this 64-bit target).
#
# Finding the library is not enough: bindgen also needs clang's own headers (`stddef.h` and the
# like, in `<llvm>/lib/clang/<version>/include`), which Debian ships in libclang-common-*-dev, not in
# libclang1-*. So `libclang_decision` asks for both, for the one library clang-sys would load; when in
# doubt, setup installs libclang-dev.
#
# `TESSERA_SETUP_ROOT` (default empty) is prefixed to every fixed search directory: the tests point
# it at a fake tree. Environment paths (LIBCLANG_PATH, LD_LIBRARY_PATH, ...) are used as given.

# Prints the candidate libclang files (one per line) in directory $1, by clang-sys's names.
libclang_candidates_in() {
    local dir="$1" f name
    [ -d "$dir" ] || return 0
    for f in "$dir"/libclang.so "$dir"/libclang-*.so "$dir"/libclang.so.* "$dir"/libclang-*.so.*; do
        [ -e "$f" ] || continue
        name="${f##*/}"
        case "$name" in *-cpp.*) continue ;; esac
        libclang_is_elf64 "$f" && printf '%s\n' "$f"
    done
}

# True when file $1 starts with the ELF magic and is of class 2 (64-bit).
libclang_is_elf64() {
    local header
    header="$(head -c 5 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" || return 1
    [ "$header" = "7f454c4602" ]
}

# Prints every libclang clang-sys would accept, one per line (nothing when there is none).
libclang_find() {
    local root="${TESSERA_SETUP_ROOT:-}" d pattern prefix
    if [ -n "${LIBCLANG_PATH:-}" ]; then
        if [ -f "$LIBCLANG_PATH" ]; then
            # The variable names the file itself: accepted when the file is one clang-sys accepts.
            libclang_candidates_in "$(dirname "$LIBCLANG_PATH")" | grep -Fx -- "$(dirname "$LIBCLANG_PATH")/$(basename "$LIBCLANG_PATH")" || true
        else
            libclang_candidates_in "$LIBCLANG_PATH"
        fi
        return 0
    fi
    if command -v llvm-config >/dev/null 2>&1 && prefix="$(llvm-config --prefix 2>/dev/null)"; then
        for d in "$prefix/bin" "$prefix/lib" "$prefix/lib64"; do libclang_candidates_in "$d"; done
    fi
    local IFS=:
    for d in ${LD_LIBRARY_PATH:-} ${LIBRARY_PATH:-}; do
        [ -n "$d" ] && libclang_candidates_in "$d"
    done
    unset IFS
    # Quoted here, globbed below under the root.
    for pattern in '/usr/local/llvm*/lib*' '/usr/local/lib*/*/*' '/usr/local/lib*/*' '/usr/local/lib*' \
        '/usr/lib*/*/*' '/usr/lib*/*' '/usr/lib*'; do
        for d in "$root"$pattern; do
            [ -d "$d" ] && libclang_candidates_in "$d"
        done
    done
    return 0
}

# True when clang's builtin headers (`clang/<version>/include/stddef.h`) belong to the LLVM that
# libclang $1 is part of: beside the library's real file (upstream LLVM: `lib/clang/...`), one level up
# (`/usr/lib64/libclang.so.N` with `/usr/lib/clang/N/...`), or, for Debian's `libclang-N.so*` names,
# under `/usr/lib/llvm-N/lib` (Debian's libclang is built to look there).
libclang_has_headers() {
    local lib="$1" real dir name major d f
    real="$(readlink -f "$lib" 2>/dev/null || printf '%s' "$lib")"
    dir="$(dirname "$real")"
    local dirs=("$dir/clang" "$dir/../lib/clang" "$dir/../lib64/clang")
    name="${lib##*/}"
    major="${name#libclang-}"
    major="${major%%[!0-9]*}"
    if [ "$name" != "${name#libclang-}" ] && [ -n "$major" ]; then
        dirs+=("${TESSERA_SETUP_ROOT:-}/usr/lib/llvm-$major/lib/clang")
    fi
    for d in "${dirs[@]}"; do
        for f in "$d"/*/include/stddef.h; do
            [ -e "$f" ] && return 0
        done
    done
    return 1
}

# Prints the libclang clang-sys loads: of the accepted files, the one with the highest version taken
# from its name (`libclang.so.14.0` -> 14.0, `libclang-14.so.1` -> 14.0 as clang-sys parses it,
# `libclang.so` -> none, the lowest), the first found among equals. Nothing when there is none.
libclang_chosen() {
    libclang_find | awk '
        function version(name,    v, n, parts, i, out) {
            if (index(name, "libclang.so.") == 1) v = substr(name, 13)
            else if (index(name, "libclang-") == 1) v = substr(name, 10, length(name) - 12)
            else return ""
            n = split(v, parts, ".")
            out = ""
            for (i = 1; i <= n; i++) out = out sprintf("%010d", (parts[i] ~ /^[0-9]+$/) ? parts[i] : 0)
            return out
        }
        {
            name = $0; sub(/.*\//, "", name)
            key = version(name)
            if (NR == 1 || key > best) { best = key; chosen = $0 }
        }
        END { if (NR > 0) print chosen }'
}

# What setup must do about libclang, as one word (then the library, when there is one):
#   ok <lib>            bindgen will load <lib> and find clang's headers;
#   install             no usable libclang (none, only libclang-cpp, or one without headers):
#                       install libclang-dev;
#   bad-path            LIBCLANG_PATH is set but holds no libclang bindgen accepts (it looks nowhere
#                       else, so installing would not help);
#   no-headers <lib>    LIBCLANG_PATH names <lib>, which has no clang headers beside it.
libclang_decision() {
    local lib
    lib="$(libclang_chosen)"
    if [ -n "${LIBCLANG_PATH:-}" ]; then
        if [ -z "$lib" ]; then
            echo "bad-path"
        elif libclang_has_headers "$lib"; then
            echo "ok $lib"
        else
            echo "no-headers $lib"
        fi
    elif [ -n "$lib" ] && libclang_has_headers "$lib"; then
        echo "ok $lib"
    else
        echo "install"
    fi
}
