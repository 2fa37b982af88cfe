//! Which storage a domain uses: the disk sources the "delete with storage" dialog offers, and
//! whether a path is also used by other domains (a shared disk must not be deleted silently).

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::devices::{DeviceKind, DiskSource};
use super::error::XmlError;
use super::model::DomainXml;

/// One disk's storage, as the delete dialog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskStorage {
    /// The disk's index in [`DomainXml::devices`].
    pub device_index: usize,
    pub target_dev: Option<String>,
    /// `disk`, `cdrom`, `floppy` or `lun`.
    pub device: String,
    pub source: DiskSource,
    pub readonly: bool,
    pub shareable: bool,
}

impl DomainXml {
    /// Every disk backed by a local path or a storage volume, in device order (network disks
    /// and empty drives have nothing Hangar could delete and are left out).
    pub fn disk_storage(&self) -> Vec<DiskStorage> {
        self.devices
            .iter()
            .filter_map(|device| match &device.kind {
                DeviceKind::Disk(disk)
                    if matches!(
                        disk.source,
                        DiskSource::File(_)
                            | DiskSource::Block(_)
                            | DiskSource::Dir(_)
                            | DiskSource::Volume { .. }
                    ) =>
                {
                    Some(DiskStorage {
                        device_index: device.index,
                        target_dev: disk.target_dev.clone(),
                        device: disk.device_or_default().to_owned(),
                        source: disk.source.clone(),
                        readonly: disk.readonly,
                        shareable: disk.shareable,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Whether any disk of this domain reads or writes `path`: as its source or anywhere in its
    /// backing chain. Paths are compared after lexical clean-up (`//`, `/./`), not by resolving
    /// symbolic links (the files may live on another host).
    pub fn uses_path(&self, path: &str) -> bool {
        let wanted = clean_path(path);
        self.devices.iter().any(|device| match &device.kind {
            DeviceKind::Disk(disk) => disk
                .source
                .path()
                .into_iter()
                .chain(disk.backing_paths.iter().map(String::as_str))
                .any(|used| clean_path(used) == wanted),
            _ => false,
        })
    }

    /// Whether any disk of this domain is the storage volume `volume` of pool `pool`.
    pub fn uses_volume(&self, pool: &str, volume: &str) -> bool {
        self.devices.iter().any(|device| {
            matches!(&device.kind, DeviceKind::Disk(disk)
                if matches!(&disk.source, DiskSource::Volume { pool: p, volume: v }
                    if p == pool && v == volume))
        })
    }

    /// Whether `other` is this same domain (same UUID, or same name when a UUID is missing).
    pub fn is_same_domain(&self, other: &DomainXml) -> bool {
        match (&self.uuid, &other.uuid) {
            (Some(mine), Some(theirs)) => mine.eq_ignore_ascii_case(theirs),
            _ => self.name == other.name,
        }
    }

    /// The names of the domains among `others` (this domain itself excluded) whose disks use
    /// `path`: if the list is not empty, deleting the file would break them.
    pub fn other_domains_using_path<'a>(
        &self,
        path: &str,
        others: impl IntoIterator<Item = &'a DomainXml>,
    ) -> Vec<&'a str> {
        others
            .into_iter()
            .filter(|other| !self.is_same_domain(other) && other.uses_path(path))
            .map(|other| other.name.as_str())
            .collect()
    }
}

/// Whether the domain described by `xml` uses `path` (see [`DomainXml::uses_path`]).
pub fn xml_uses_path(xml: &str, path: &str) -> Result<bool, XmlError> {
    Ok(DomainXml::parse(xml)?.uses_path(path))
}

/// `path` with repeated separators and `.` components removed. `..` is kept: resolving it
/// lexically would be wrong across symbolic links.
fn clean_path(path: &str) -> PathBuf {
    Path::new(path)
        .components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(name: &str, uuid: &str, disks: &str) -> DomainXml {
        let xml = format!(
            "<domain><name>{name}</name><uuid>{uuid}</uuid><devices>{disks}</devices></domain>"
        );
        DomainXml::parse(&xml).unwrap_or_else(|e| panic!("{e}"))
    }

    const SHARED: &str = "<disk type='block' device='disk'><source dev='/dev/vg/shared'/><target dev='vdb'/><shareable/></disk>";

    #[test]
    fn disk_storage_lists_local_sources_only() {
        let vm = domain(
            "a",
            "1",
            "<disk type='file'><source file='/img/a.qcow2'/><target dev='vda'/></disk>\
             <disk type='file' device='cdrom'><target dev='sda'/><readonly/></disk>\
             <disk type='network'><source protocol='nbd' name='x'><host name='h'/></source></disk>\
             <disk type='volume'><source pool='default' volume='v.qcow2'/><target dev='vdc'/></disk>\
             <interface type='user'/>",
        );
        let storage = vm.disk_storage();
        assert_eq!(storage.len(), 2);
        assert_eq!(storage[0].source, DiskSource::File("/img/a.qcow2".into()));
        assert_eq!(storage[0].device_index, 0);
        assert_eq!(storage[1].device_index, 3);
        assert!(vm.uses_volume("default", "v.qcow2"));
        assert!(!vm.uses_volume("default", "other"));
    }

    #[test]
    fn shared_paths_are_found_in_other_domains_only() {
        let a = domain("a", "1", SHARED);
        let b = domain(
            "b",
            "2",
            "<disk type='block'><source dev='/dev//vg/./shared'/></disk>",
        );
        let c = domain(
            "c",
            "3",
            "<disk type='file'><source file='/img/c.qcow2'/>\
             <backingStore type='file'><format type='qcow2'/><source file='/img/base.qcow2'/>\
             <backingStore/></backingStore></disk>",
        );
        let all = [&a, &b, &c];
        assert_eq!(
            a.other_domains_using_path("/dev/vg/shared", all.iter().copied()),
            vec!["b"]
        );
        assert!(
            a.other_domains_using_path("/img/a.qcow2", all.iter().copied())
                .is_empty()
        );
        // A backing file is in use too.
        assert_eq!(
            a.other_domains_using_path("/img/base.qcow2", all.iter().copied()),
            vec!["c"]
        );
        assert_eq!(
            xml_uses_path("<domain><name>x</name></domain>", "/x"),
            Ok(false)
        );
        assert!(xml_uses_path("<network/>", "/x").is_err());
    }
}
