//! Packaging checks that need no network: both Flatpak manifests parse, every local file they
//! reference exists, the vendored cargo sources match Cargo.lock, the sandbox holes a VM
//! manager needs are there, and the app icon's drawn sizes are installed and bundled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// Every module of a manifest, depth first.
fn modules(module_list: &Value) -> Vec<&Value> {
    let mut found = Vec::new();
    for module in module_list.as_array().into_iter().flatten() {
        found.push(module);
        if let Some(children) = module.get("modules") {
            found.extend(modules(children));
        }
    }
    found
}

/// Checks each source's local references and returns the string (file) sources.
fn check_sources(manifest_dir: &Path, module: &Value) -> Vec<PathBuf> {
    let mut file_sources = Vec::new();
    for source in module["sources"].as_array().expect("module has sources") {
        match source {
            Value::String(file) => {
                let path = manifest_dir.join(file);
                assert!(path.is_file(), "missing source file {}", path.display());
                file_sources.push(path);
            }
            Value::Object(fields) => {
                let kind = fields["type"].as_str().expect("source has a type");
                if let Some(path) = fields.get("path").and_then(Value::as_str) {
                    let path = manifest_dir.join(path);
                    assert!(
                        path.exists(),
                        "{kind} source {} does not exist",
                        path.display()
                    );
                }
                if matches!(kind, "archive" | "file") && fields.contains_key("url") {
                    let sha = fields["sha256"]
                        .as_str()
                        .expect("remote sources are pinned");
                    assert_eq!(sha.len(), 64, "sha256 of {:?}", fields["url"]);
                }
            }
            other => panic!("unexpected source {other}"),
        }
    }
    file_sources
}

fn check_manifest(name: &str, app_id: &str) {
    let dir = root().join("flatpak");
    let manifest = read_json(&dir.join(name));
    assert_eq!(manifest["id"], app_id);
    assert_eq!(manifest["runtime"], "org.gnome.Platform");
    assert_eq!(manifest["sdk"], "org.gnome.Sdk");
    assert_eq!(manifest["command"], "hangar");
    let extensions = manifest["sdk-extensions"].to_string();
    assert!(extensions.contains("org.freedesktop.Sdk.Extension.rust-stable"));

    let finish_args: Vec<&str> = manifest["finish-args"]
        .as_array()
        .expect("finish-args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for needed in [
        "--socket=wayland",
        "--socket=fallback-x11",
        "--device=dri",
        "--share=ipc",
        "--share=network",
        "--filesystem=/run/libvirt",
        "--filesystem=xdg-run/libvirt",
        "--socket=ssh-auth",
        "--talk-name=org.freedesktop.secrets",
    ] {
        assert!(finish_args.contains(&needed), "{name} lacks {needed}");
    }

    let all = modules(&manifest["modules"]);
    let names: Vec<&str> = all.iter().filter_map(|m| m["name"].as_str()).collect();
    assert!(
        names.contains(&"libvirt") && names.contains(&"hangar"),
        "{names:?}"
    );
    let libvirt = all
        .iter()
        .find(|m| m["name"] == "libvirt")
        .expect("libvirt module");
    let opts = libvirt["config-opts"].to_string();
    for needed in [
        "-Ddriver_remote=enabled",
        "-Ddriver_test=enabled",
        "-Ddriver_libvirtd=disabled",
    ] {
        assert!(opts.contains(needed), "libvirt module lacks {needed}");
    }
    assert!(
        libvirt["sources"][0]["url"]
            .as_str()
            .is_some_and(|url| url.contains("libvirt-"))
    );

    for module in all {
        for file in check_sources(&dir, module) {
            // File sources are source lists themselves (cargo-sources.json): they must parse too.
            let list = read_json(&file);
            assert!(
                list.as_array().is_some_and(|l| !l.is_empty()),
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn release_manifest_parses_and_references_existing_files() {
    check_manifest(
        "io.github.hangar_vm.Hangar.json",
        "io.github.hangar_vm.Hangar",
    );
}

#[test]
fn devel_manifest_parses_and_builds_from_the_local_tree() {
    check_manifest(
        "io.github.hangar_vm.Hangar.Devel.json",
        "io.github.hangar_vm.Hangar.Devel",
    );
    let manifest = read_json(&root().join("flatpak/io.github.hangar_vm.Hangar.Devel.json"));
    let hangar = modules(&manifest["modules"])
        .into_iter()
        .find(|m| m["name"] == "hangar")
        .expect("hangar module");
    assert!(hangar["sources"].to_string().contains(r#""type":"dir""#));
    assert!(
        hangar["config-opts"]
            .to_string()
            .contains("-Dprofile=development")
    );
}

/// Each drawn size of the app icon that meson installs is in the tree, a PNG of that size, and
/// in the resource bundle, where an uninstalled build finds its window icon.
#[test]
fn every_drawn_app_icon_size_exists_and_is_bundled() {
    let meson = std::fs::read_to_string(root().join("data/meson.build")).expect("data/meson.build");
    let list = meson
        .lines()
        .find_map(|line| line.strip_prefix("app_icon_sizes = ["))
        .and_then(|rest| rest.strip_suffix(']'))
        .expect("data/meson.build lists app_icon_sizes");
    let sizes: Vec<u32> = list
        .split(',')
        .map(|size| size.trim().parse().expect("a size is a number"))
        .collect();
    // GTK 4.8 asks for a window's X11 icon at 16, 32 and 48 px.
    for wanted in [16, 32, 48] {
        assert!(sizes.contains(&wanted), "no {wanted} px icon in {sizes:?}");
    }
    let bundle = std::fs::read_to_string(root().join("resources/resources.gresource.xml"))
        .expect("resources/resources.gresource.xml");
    for size in sizes {
        let relative = format!("hicolor/{size}x{size}/apps/io.github.hangar_vm.Hangar.png");
        let path = root().join("data/icons").join(&relative);
        let png = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The signature, then the header chunk: its width and height at bytes 16 and 20.
        assert!(
            png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{relative} is not a PNG"
        );
        let dimension =
            |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        assert_eq!((dimension(16), dimension(20)), (size, size), "{relative}");
        let entry = format!(
            r#"alias="icons/{size}x{size}/apps/io.github.hangar_vm.Hangar.png">{relative}<"#
        );
        assert!(
            bundle.contains(&entry),
            "the resource bundle lacks {relative}"
        );
    }
}

/// `name-version` → checksum of every crates.io package in Cargo.lock.
fn locked_crates() -> BTreeMap<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
    let mut crates = BTreeMap::new();
    let mut fields: BTreeMap<&str, String> = BTreeMap::new();
    for line in lock.lines().chain(std::iter::once("[[package]]")) {
        if line == "[[package]]" {
            if fields
                .get("source")
                .is_some_and(|s| s.contains("crates.io-index"))
            {
                crates.insert(
                    format!("{}-{}", fields["name"], fields["version"]),
                    fields["checksum"].clone(),
                );
            }
            fields.clear();
        } else if let Some((key, value)) = line.split_once(" = ") {
            fields.insert(key, value.trim_matches('"').to_owned());
        }
    }
    crates
}

#[test]
fn cargo_sources_match_cargo_lock() {
    let sources = read_json(&root().join("flatpak/cargo-sources.json"));
    let mut vendored = BTreeMap::new();
    for source in sources.as_array().expect("a list") {
        if source["type"] == "archive" {
            let dest = source["dest"].as_str().expect("dest");
            let crate_dir = dest
                .strip_prefix("cargo/vendor/")
                .expect("vendored under cargo/vendor");
            vendored.insert(
                crate_dir.to_owned(),
                source["sha256"].as_str().unwrap().to_owned(),
            );
        }
    }
    let locked = locked_crates();
    assert!(
        locked.len() > 100,
        "Cargo.lock parsed: {} crates",
        locked.len()
    );
    assert_eq!(
        vendored, locked,
        "flatpak/cargo-sources.json is out of date: run flatpak/generate-cargo-sources.py"
    );
}
