//! Puts the memory map where the linker (cortex-m-rt's link.x) finds it,
//! as `memory.x` in the build's output folder: memory/cortex-m4f-part.x
//! (a typical Cortex-M4F part) for the footprint builds,
//! memory/mps2-an386.x (QEMU's board) with the `qemu` feature. (No
//! `memory.x` may sit in this folder: the linker would find it first.)

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let map: &[u8] = if env::var_os("CARGO_FEATURE_QEMU").is_some() {
        include_bytes!("memory/mps2-an386.x")
    } else {
        include_bytes!("memory/cortex-m4f-part.x")
    };
    fs::write(out.join("memory.x"), map).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rerun-if-changed=build.rs");
}
