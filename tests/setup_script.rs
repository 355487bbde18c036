//! The set-up script's libclang detection (`scripts/libclang.sh`), run against fake directory trees.
//!
//! RocksDB's build fails on a machine where set-up wrongly concludes libclang is present (the
//! `libclang-cpp` library alone once fooled it), so the detection is tested here against the layouts
//! that matter: nothing, libclang-cpp only, libclang.so.1 with and without clang's headers, Debian's
//! multiarch layout, a 32-bit library, several versions, and `LIBCLANG_PATH` (a directory or the
//! file, which bindgen treats as the only place to look).

use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/libclang.sh");

/// `libclang_decision` with the fixed search directories under `root`, no llvm-config, no library
/// path variables, and `LIBCLANG_PATH` as given.
fn decision(root: &Path, libclang_path: Option<&Path>) -> String {
    // A failing llvm-config first on PATH hides any real one.
    let bin = root.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let llvm_config = bin.join("llvm-config");
    std::fs::write(&llvm_config, "#!/bin/sh\nexit 1\n").unwrap();
    set_executable(&llvm_config);
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!("source '{SCRIPT}' && libclang_decision"))
        .env("TESSERA_SETUP_ROOT", root)
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LIBRARY_PATH")
        .env_remove("LIBCLANG_PATH");
    if let Some(path) = libclang_path {
        command.env("LIBCLANG_PATH", path);
    }
    let output = command.output().expect("run bash");
    assert!(output.status.success(), "libclang_decision failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap().trim().to_string();
    // Paths under the fake root are shown relative to it.
    text.replace(&format!("{}", root.display()), "")
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A file that starts like a shared library of the given ELF class (2: 64-bit, 1: 32-bit).
fn library(root: &Path, path: &str, class: u8) {
    let path = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut bytes = vec![0x7f, b'E', b'L', b'F', class];
    bytes.resize(64, 0);
    std::fs::write(path, bytes).unwrap();
}

fn symlink(root: &Path, link: &str, target: &str) {
    let link = root.join(link.trim_start_matches('/'));
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// clang's builtin headers under `dir` (`<dir>/clang/<version>/include/stddef.h`).
fn headers(root: &Path, dir: &str) {
    let include = root.join(dir.trim_start_matches('/')).join("clang/14.0.6/include");
    std::fs::create_dir_all(&include).unwrap();
    std::fs::write(include.join("stddef.h"), "/* clang's stddef.h */\n").unwrap();
}

#[test]
fn nothing_installed_means_install() {
    let root = tempfile::tempdir().unwrap();
    assert_eq!(decision(root.path(), None), "install");
}

#[test]
fn libclang_cpp_alone_is_not_libclang() {
    // The machine that broke set-up: libclang-cpp14 (and its headers) without libclang1-14.
    let root = tempfile::tempdir().unwrap();
    library(root.path(), "/usr/lib/llvm-14/lib/libclang-cpp.so.14", 2);
    symlink(root.path(), "/usr/lib/x86_64-linux-gnu/libclang-cpp.so.14", "../llvm-14/lib/libclang-cpp.so.14");
    headers(root.path(), "/usr/lib/llvm-14/lib");
    assert_eq!(decision(root.path(), None), "install");
}

#[test]
fn libclang_without_headers_means_install() {
    // libclang1-14 alone: bindgen would load the library, then fail on `#include <stddef.h>`.
    let root = tempfile::tempdir().unwrap();
    library(root.path(), "/usr/lib/llvm-14/lib/libclang.so.1", 2);
    assert_eq!(decision(root.path(), None), "install");
}

#[test]
fn libclang_so_1_with_headers_is_enough() {
    let root = tempfile::tempdir().unwrap();
    library(root.path(), "/usr/lib/llvm-14/lib/libclang.so.1", 2);
    headers(root.path(), "/usr/lib/llvm-14/lib");
    assert_eq!(decision(root.path(), None), "ok /usr/lib/llvm-14/lib/libclang.so.1");
}

#[test]
fn debian_layout_with_libclang_dev() {
    // What Debian 12's libclang-dev installs: the library in the multiarch folder, links to it from
    // the LLVM folder, clang's headers in the LLVM folder. bindgen picks the highest version parsed
    // from the names: libclang-14.so.14.0.6.
    let root = tempfile::tempdir().unwrap();
    library(root.path(), "/usr/lib/x86_64-linux-gnu/libclang-14.so.14.0.6", 2);
    symlink(root.path(), "/usr/lib/x86_64-linux-gnu/libclang-14.so.1", "libclang-14.so.14.0.6");
    symlink(root.path(), "/usr/lib/llvm-14/lib/libclang.so.1", "../../x86_64-linux-gnu/libclang-14.so.1");
    symlink(root.path(), "/usr/lib/llvm-14/lib/libclang.so", "../../x86_64-linux-gnu/libclang-14.so.1");
    library(root.path(), "/usr/lib/llvm-14/lib/libclang-cpp.so.14", 2);
    headers(root.path(), "/usr/lib/llvm-14/lib");
    assert_eq!(decision(root.path(), None), "ok /usr/lib/x86_64-linux-gnu/libclang-14.so.14.0.6");
}

#[test]
fn a_32_bit_or_non_elf_library_does_not_count() {
    let root = tempfile::tempdir().unwrap();
    library(root.path(), "/usr/lib/llvm-14/lib/libclang.so", 1);
    let text = root.path().join("usr/lib/libclang.so.1");
    std::fs::write(&text, "INPUT(libclang.so.14)\n").unwrap();
    headers(root.path(), "/usr/lib/llvm-14/lib");
    assert_eq!(decision(root.path(), None), "install");
}

#[test]
fn the_highest_version_is_the_one_checked() {
    // Two LLVMs; bindgen loads 15, whose headers are missing, so 14's headers do not help.
    let root = tempfile::tempdir().unwrap();
    library(root.path(), "/usr/lib/llvm-14/lib/libclang.so.14", 2);
    headers(root.path(), "/usr/lib/llvm-14/lib");
    library(root.path(), "/usr/lib/llvm-15/lib/libclang.so.15", 2);
    assert_eq!(decision(root.path(), None), "install");
    headers(root.path(), "/usr/lib/llvm-15/lib");
    assert_eq!(decision(root.path(), None), "ok /usr/lib/llvm-15/lib/libclang.so.15");
}

#[test]
fn libclang_path_is_the_only_place_looked_at() {
    let root = tempfile::tempdir().unwrap();
    library(root.path(), "/usr/lib/llvm-14/lib/libclang.so.1", 2);
    headers(root.path(), "/usr/lib/llvm-14/lib");
    // A directory holding no libclang: bindgen would not look elsewhere, so neither do we.
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(decision(root.path(), Some(empty.path())), "bad-path");
    // A directory with one, and clang's headers.
    let custom = tempfile::tempdir().unwrap();
    library(custom.path(), "/lib/libclang.so", 2);
    assert_eq!(
        decision(root.path(), Some(&custom.path().join("lib"))),
        format!("no-headers {}/lib/libclang.so", custom.path().display())
    );
    headers(custom.path(), "/lib");
    assert_eq!(
        decision(root.path(), Some(&custom.path().join("lib"))),
        format!("ok {}/lib/libclang.so", custom.path().display())
    );
    // The file itself.
    assert_eq!(
        decision(root.path(), Some(&custom.path().join("lib/libclang.so"))),
        format!("ok {}/lib/libclang.so", custom.path().display())
    );
    // A file bindgen would not accept by its name.
    library(custom.path(), "/lib/libclang-cpp.so.14", 2);
    assert_eq!(decision(root.path(), Some(&custom.path().join("lib/libclang-cpp.so.14"))), "bad-path");
}
