//! The demo fleet: libvirt test-driver hosts shipped in `data/demo`, plus a local QEMU host when
//! one is reachable.

use std::path::{Path, PathBuf};

/// One demo host: a display name and the libvirt URI that opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoHost {
    pub name: String,
    pub uri: String,
}

/// The demo fleet files found under `data_dir/demo`, sorted by name.
pub fn fleet_files(data_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("demo")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
        .collect();
    files.sort();
    files
}

/// The test-driver URI for a node XML file: `test:///` followed by its absolute path.
pub fn test_uri(node_xml: &Path) -> String {
    let absolute = std::path::absolute(node_xml).unwrap_or_else(|_| node_xml.to_path_buf());
    format!("test://{}", absolute.display())
}

/// The local QEMU URI whose daemon socket exists: `qemu:///system` first, then `qemu:///session`.
///
/// Only the socket's presence is checked here; whether the daemon answers is the driver's job.
pub fn local_qemu_uri() -> Option<String> {
    let system = Path::new("/run/libvirt/libvirt-sock");
    let system_modular = Path::new("/run/libvirt/virtqemud-sock");
    if system.exists() || system_modular.exists() {
        return Some("qemu:///system".to_owned());
    }
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")?;
    let session = Path::new(&runtime).join("libvirt");
    if session.join("libvirt-sock").exists() || session.join("virtqemud-sock").exists() {
        return Some("qemu:///session".to_owned());
    }
    None
}

/// Every demo host: one per fleet file, then the local QEMU host if there is one.
pub fn demo_hosts(data_dir: &Path) -> Vec<DemoHost> {
    let mut hosts: Vec<DemoHost> = fleet_files(data_dir)
        .iter()
        .map(|file| DemoHost {
            name: file
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default(),
            uri: test_uri(file),
        })
        .collect();
    if let Some(uri) = local_qemu_uri() {
        hosts.push(DemoHost {
            name: "localhost".to_owned(),
            uri,
        });
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_fleet_has_three_hosts_with_test_uris() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let files = fleet_files(&data);
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["edge", "lab", "prod"]);
        let uri = test_uri(&files[0]);
        assert!(uri.starts_with("test:///"), "{uri}");
        assert!(uri.ends_with("/data/demo/edge.xml"), "{uri}");
    }

    #[test]
    fn missing_data_dir_gives_no_fleet() {
        assert!(fleet_files(Path::new("/nonexistent/hangar")).is_empty());
    }
}
